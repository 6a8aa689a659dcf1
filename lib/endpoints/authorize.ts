import type { Request, RequestHandler, Response } from 'express';
import { codeBinding, isRemembered, issueCode, startConsent, takeConsent } from '../authorization/consent';
import { currentUser, grantedScope, readConsentAnswer, type UserPageSettings } from '../authorization/consent-answer';
import { checkAuthorizationRequest, findRedirectTarget, type AuthorizationParams, type AuthorizationRequest, type RedirectTarget } from '../authorization/request';
import { pushedReference, pushRequest, takePushedRequest } from '../authorization/pushed-request';
import type { Resources } from '../resource/resources';
import { authorizationResponseUri } from '../authorization/response';
import type { Client } from '../clients/client';
import type { ClientRegistry } from '../clients/registry';
import { AccessDeniedError, InvalidRequestError } from '../errors';
import type { CheckedAuthorizationOptions, ConsentPrompt } from '../options/authorization';
import { ParameterTooLongError, type RawParams } from '../http/form-params';
import { reportedOAuthError, setNoStore } from '../http/respond';
import { protectPage, showErrorPage } from '../pages/default-pages';

export interface AuthorizeEndpointSettings extends UserPageSettings {
  issuer: string;
  options: CheckedAuthorizationOptions;
  resources: Resources;
}

/** Where the authorization response goes, once the request names a valid client and redirect URI. */
type ResponseTarget = { redirectUri: string; state?: string } | undefined;

/**
 * RFC 6749 §3.1, §4.1.1: `GET` and `POST /authorize`. A signed-in user is shown the consent
 * page; an anonymous one is sent to the host app's login, which brings them back here.
 */
export function authorizeEndpoint(settings: AuthorizeEndpointSettings): RequestHandler {
  const { clients, store, clock, options, readForm, readQuery } = settings;
  const respond = responder(settings);

  return async (req, res) => {
    let target: ResponseTarget;
    try {
      const query = req.method === 'GET' ? readQuery(req) : await readForm(req, res);
      const pushed = pushedReference(query);
      // RFC 9126 §4: with a request_uri, the pushed parameters are the whole request.
      const params = pushed === undefined ? query : await takePushedRequest(store, pushed, clock());
      const request = await checkedAuthorizationRequest(params, settings, (found) => (target = found));
      // RFC 9126 §6: require_pushed_authorization_requests, of the server or of the client.
      if (pushed === undefined && (options.requirePushedRequests || request.client.requirePushedRequests)) {
        throw new InvalidRequestError('This client must push its authorization requests (RFC 9126): start with the pushed authorization request endpoint.');
      }

      const sub = await currentUser(options, req);
      if (sub === undefined) {
        // A pushed request is used once: the user comes back from the login to a new one, which
        // lives as long as a consent page may stay open.
        const policy = { lifetime: options.consentLifetime, maxPerClient: options.maxPushedRequestsPerClient };
        const again = pushed === undefined ? params : { client_id: pushed.clientId, request_uri: await pushRequest(store, pushed.clientId, params, clock(), policy) };
        return await options.login(req, res, `${req.baseUrl}/authorize?${queryString(again)}`);
      }

      const binding = codeBinding(request, sub);
      if (options.rememberConsent > 0 && (await isRemembered(store, binding, clock()))) {
        const { code } = await issueCode(store, binding, undefined, clock(), options.codeLifetime);
        return respond.redirect(req, res, binding, { code, state: binding.state });
      }
      const pending = await startConsent(store, binding, clock() + options.consentLifetime, options.maxPendingConsents);
      protectPage(res);
      await options.renderConsent(req, res, {
        client: consentClient(request.client),
        scope: request.scope,
        sub,
        action: `${req.baseUrl}/authorize/decision`,
        fields: { transaction_id: pending.transactionId, csrf_token: pending.csrfToken },
      });
    } catch (error) {
      await respond.error(req, res, error, target ?? (await targetOfTooLong(error, clients)));
    }
  };
}

/**
 * RFC 6749 §4.1.2.1: a request refused for an over-long value is still answered at the
 * client's redirect URI when its client_id and redirect_uri are within the limit and valid
 * (an over-long state is left out of the response); otherwise it is shown to the user. An
 * over-long redirect_uri is checked for here: left out, it would count as omitted.
 */
async function targetOfTooLong(error: unknown, clients: ClientRegistry): Promise<ResponseTarget> {
  if (!(error instanceof ParameterTooLongError) || error.tooLong.includes('redirect_uri')) return undefined;
  return findRedirectTarget(error.withinLimit, clients).catch(() => undefined);
}

/**
 * The checks of an authorization request, the same at the authorization endpoint and for a
 * pushed request (RFC 9126 §2.1). `found` hears of the redirect target once it is known: from
 * then on, errors may go there (RFC 6749 §4.1.2.1).
 */
export async function checkedAuthorizationRequest(
  params: RawParams,
  { clients, options, resources }: Pick<AuthorizeEndpointSettings, 'clients' | 'options' | 'resources'>,
  found?: (target: RedirectTarget) => void,
): Promise<AuthorizationRequest> {
  const target = await findRedirectTarget(checkStateLength(params, options.maxStateLength), clients);
  found?.(target);
  return checkAuthorizationRequest(params, target, options.pkce, resources);
}

/**
 * `state` is kept with the pending request until the user decides, so its length is bounded
 * (`authorization.maxStateLength`; RFC 6749 §4.1.1 sets none). Refused as any over-long value.
 */
function checkStateLength(params: RawParams, maxLength: number): RawParams {
  const { state, ...withinLimit } = params;
  if (typeof state !== 'string' || state.length <= maxLength) return params;
  throw new ParameterTooLongError(maxLength, ['state'], withinLimit, `The state parameter is longer than ${maxLength} characters.`);
}

/** `POST /authorize/decision`: the consent form's answer, allowed or denied, made once. */
export function decisionEndpoint(settings: AuthorizeEndpointSettings): RequestHandler {
  const { store, clock, options, readForm } = settings;
  const respond = responder(settings);

  return async (req, res) => {
    let target: ResponseTarget;
    try {
      const params = await readForm(req, res);
      const { decision, ...answer } = await readConsentAnswer(params, options, req);
      const { sub } = answer;
      const pending = await takeConsent(store, answer, clock());
      target = pending;
      // RFC 6749 §4.1.2.1: access_denied when the user says no.
      if (decision === 'deny') throw new AccessDeniedError('The user denied the request.');
      const { code, scope } = await issueCode(store, pending, grantedScope(params.scope), clock(), options.codeLifetime);
      if (options.rememberConsent > 0) await store.saveConsent(sub, pending.clientId, { scope, expiresAt: clock() + options.rememberConsent });
      respond.redirect(req, res, pending, { code, state: pending.state });
    } catch (error) {
      await respond.error(req, res, error, target);
    }
  };
}

/** What the consent page shows of a client. */
function consentClient({ id, name, metadataDocumentHost }: Client): ConsentPrompt['client'] {
  return { id, ...(name !== undefined && { name }), ...(metadataDocumentHost !== undefined && { metadataDocumentHost }) };
}

function queryString(params: AuthorizationParams): string {
  const pairs = Object.entries(params).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((item): [string, string] => [name, String(item)]));
  return new URLSearchParams(pairs).toString();
}

function responder({ issuer, options, onError }: AuthorizeEndpointSettings) {
  return {
    /** RFC 9207 §2: every authorization response carries `iss`. After a POST, 303 makes it a GET (RFC 9700 §4.12). */
    redirect(req: Request, res: Response, target: NonNullable<ResponseTarget>, params: Record<string, string | undefined>): void {
      setNoStore(res);
      res.redirect(req.method === 'POST' ? 303 : 302, authorizationResponseUri(target.redirectUri, { ...params, iss: issuer }));
    },

    /** RFC 6749 §4.1.2.1: sent to the redirect URI when it is known and valid, shown to the user otherwise. */
    async error(req: Request, res: Response, error: unknown, target: ResponseTarget): Promise<void> {
      const oauthError = reportedOAuthError(error, onError);
      if (res.headersSent) return;
      if (target !== undefined) {
        return this.redirect(req, res, target, { error: oauthError.code, error_description: oauthError.description, state: target.state });
      }
      await showErrorPage(options, req, res, oauthError, onError);
    },
  };
}
