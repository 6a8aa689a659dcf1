import type { Request, Response } from 'express';
import type { OAuthError } from '../errors';
import type { CheckedAuthorizationOptions, ConsentPrompt } from '../options/authorization';
import { reportedOAuthError, setNoStore } from '../http/respond';
import type { DeviceResult } from '../grants/device-code';

/** The default pages are self-contained: no script, no outside resource. */
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/**
 * For every page a user sees: RFC 6749 §10.13 (clickjacking), §5.1 (no caching of what carries
 * credentials), RFC 9700 §4.2.4 (the page's URL, with the request's state, is not sent on as a Referer).
 */
export function protectPage(res: Response): void {
  setNoStore(res);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
  res.setHeader('Referrer-Policy', 'no-referrer');
}

/** Shows an error to the user with the host app's `renderError`, or as plain text if that fails. */
export async function showErrorPage(
  options: Pick<CheckedAuthorizationOptions, 'renderError'>,
  req: Request,
  res: Response,
  failure: unknown,
  onError: (error: unknown) => void,
): Promise<void> {
  const error = reportedOAuthError(failure, onError);
  if (res.headersSent) return;
  protectPage(res);
  try {
    await options.renderError(req, res, error);
  } catch (renderFailure) {
    onError(renderFailure);
    if (!res.headersSent) res.status(error.status).type('text').send(error.description);
  }
}

/** The default consent page: the client (and a device's user code), the scopes, Allow and Deny. */
export function renderConsentPage(_req: Request, res: Response, prompt: ConsentPrompt): void {
  const clientName = escapeHtml(prompt.client.name ?? prompt.client.id);
  const account = escapeHtml(prompt.sub);
  const scopes = prompt.scope.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('');
  const hidden = Object.entries(prompt.fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`)
    .join('');
  // RFC 8628 §5.4: the person checks that the code is the one their own device shows.
  const intro = prompt.device === undefined
    ? requestIntro(prompt.client, account, scopes !== '')
    : `<h1>Connect ${clientName} to your account</h1>
<p>A device is asking for access to your account (${account}) as ${clientName}. Allow only if you started this on a device in front of you, and it shows this code: <strong>${escapeHtml(prompt.device.userCode)}</strong></p>
${scopes ? '<p>It asks for these scopes:</p>' : ''}`;
  sendPage(res, 200, prompt.device === undefined ? 'Authorize access' : 'Connect a device', `
${intro}
${scopes ? `<ul>${scopes}</ul>` : ''}
<form method="post" action="${escapeHtml(prompt.action)}">${hidden}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`);
}

/**
 * Who asks, for a request in this browser. A client known only by its metadata document is
 * named by the document's host, the one thing checked about it; the name it gives itself is
 * shown as its claim (draft-ietf-oauth-client-id-metadata-document -01, Security Considerations: phishing).
 */
function requestIntro(client: ConsentPrompt['client'], account: string, hasScopes: boolean): string {
  const asks = `access to your account (${account})${hasScopes ? ' with these scopes:' : '.'}`;
  if (client.metadataDocumentHost === undefined) {
    const clientName = escapeHtml(client.name ?? client.id);
    return `<h1>Authorize ${clientName}</h1>
<p>${clientName} asks for ${asks}</p>`;
  }
  const host = escapeHtml(client.metadataDocumentHost);
  const claimed = client.name === undefined ? '' : `, which calls itself &#8220;${escapeHtml(client.name)}&#8221; (its own claim, not verified),`;
  return `<h1>Authorize an application from ${host}</h1>
<p>The application at <strong>${host}</strong>${claimed} asks for ${asks}</p>`;
}

/** The default page after a device decision (RFC 8628 §3.3): the person may go back to the device, or not. */
export function renderDeviceResultPage(_req: Request, res: Response, result: DeviceResult): void {
  const clientName = escapeHtml(result.client.name ?? result.client.id);
  sendPage(res, 200, result.approved ? 'Device connected' : 'Access denied', result.approved
    ? `<h1>Device connected</h1><p>${clientName} is now connected to your account. You can return to your device.</p>`
    : `<h1>Access denied</h1><p>${clientName} was not given access to your account.</p>`);
}

/** The default page for an error that cannot be sent to the client. */
export function renderErrorPage(_req: Request, res: Response, error: OAuthError): void {
  sendPage(res, error.status, 'Authorization error', `
<h1>This authorization request cannot be completed</h1>
<p>${escapeHtml(error.description)}</p>
<p><small>${escapeHtml(error.code)}</small></p>`);
}

function sendPage(res: Response, status: number, title: string, body: string): void {
  res.setHeader('Content-Security-Policy', PAGE_POLICY);
  res.status(status).type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>${body}
</body></html>`);
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
