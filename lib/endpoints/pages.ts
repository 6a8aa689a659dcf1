import type { Request, Response } from 'express';
import type { OAuthError } from '../errors';
import type { ConsentPrompt } from './authorization-options';

/** The default pages are self-contained: no script, no outside resource. */
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/** The default consent page: the client, the scopes, Allow and Deny. */
export function renderConsentPage(_req: Request, res: Response, prompt: ConsentPrompt): void {
  const clientName = escapeHtml(prompt.client.name ?? prompt.client.id);
  const scopes = prompt.scope.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('');
  const hidden = Object.entries(prompt.fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`)
    .join('');
  sendPage(res, 200, 'Authorize access', `
<h1>Authorize ${clientName}</h1>
<p>${clientName} asks for access to your account (${escapeHtml(prompt.sub)})${scopes ? ' with these scopes:' : '.'}</p>
${scopes ? `<ul>${scopes}</ul>` : ''}
<form method="post" action="${escapeHtml(prompt.action)}">${hidden}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`);
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

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
