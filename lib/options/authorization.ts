import type { Request, Response } from 'express';
import type { OAuthError } from '../errors';
import type { PkcePolicy } from '../authorization/request';
import { renderConsentPage, renderErrorPage } from '../pages/default-pages';
import { checkBoolean, checkFunction, checkNonNegativeInteger, checkOptionsObject, checkPositiveInteger, requireFunction, OptionPath, type KnownKeys } from './checks';

/** What the consent page shows and what its form posts back. */
export interface ConsentPrompt {
  /**
   * `metadataDocumentHost`: for a client whose client_id is the URL of its metadata document,
   * the host it was fetched from, the one thing about the client the server checked; its
   * `name` is then only what the document claims. Show the host, so that a person can tell who asks.
   */
  client: { id: string; name?: string; metadataDocumentHost?: string };
  /** The scope the client asks for. The form may post `scope` (space-separated or repeated) to grant less. */
  scope: string[];
  /** The user being asked, as `getUser` named them. */
  sub: string;
  /** Where the form posts (`method="post"`), with a `decision` of `allow` or `deny`. */
  action: string;
  /** Hidden inputs the form must carry, unchanged. */
  fields: { transaction_id: string; csrf_token: string };
  /**
   * Only when a device asks (RFC 8628): its user code as the device shows it (`XXXX-XXXX`).
   * Show it, so that the person can check it is their own device's (§5.4, remote phishing).
   */
  device?: { userCode: string };
}

/**
 * How the authorization endpoint meets the host app's users. The pages are the host app's;
 * the flow is the server's:
 *
 * ```ts
 * authorization: {
 *   getUser: (req) => req.user?.id,                       // e.g. from the app's Passport session
 *   login: (req, res, returnTo) => res.redirect(`/login?returnTo=${encodeURIComponent(returnTo)}`),
 *   renderConsent: (req, res, prompt) => res.render('consent', prompt),   // optional
 * }
 * ```
 */
export interface AuthorizationOptions {
  /** The signed-in user's id (it becomes the tokens' `sub`), or undefined for an anonymous user. */
  getUser(req: Request): string | undefined | Promise<string | undefined>;
  /** Sends an anonymous user to the app's login, which brings them back to `returnTo` (a path on this server). */
  login(req: Request, res: Response, returnTo: string): void | Promise<void>;
  /**
   * Renders the consent page. The server has already set `Cache-Control: no-store`,
   * `X-Frame-Options: DENY`, `Content-Security-Policy: frame-ancestors 'none'` and
   * `Referrer-Policy: no-referrer`.
   * Default: a minimal page naming the client and the scopes, with Allow and Deny buttons.
   */
  renderConsent?(req: Request, res: Response, prompt: ConsentPrompt): void | Promise<void>;
  /** Renders an error the user must see because it cannot be sent to the client (default: a minimal page). */
  renderError?(req: Request, res: Response, error: OAuthError): void | Promise<void>;
  /** Authorization code lifetime in seconds (default 60). */
  codeLifetime?: number;
  /** How long the consent page may stay open, in seconds (default 600). */
  consentLifetime?: number;
  /**
   * Most consent pages one user (`sub`) may have waiting at once (default 20): each keeps its
   * request in the store until it is answered or `consentLifetime` ends. Past this, the request
   * is answered `temporarily_unavailable` (at the redirect URI, or on the device's error page).
   */
  maxPendingConsents?: number;
  /**
   * Longest `state` accepted, in characters (default 1024; RFC 6749 §4.1.1 sets none). It is kept
   * with the pending request; a longer one is `invalid_request` at the redirect URI, without it.
   */
  maxStateLength?: number;
  /**
   * Seconds for which a user's Allow is remembered (default 0: ask every time). While it is,
   * a request of the same client for no more than the scope allowed skips the consent page.
   */
  rememberConsent?: number;
  /**
   * RFC 9126 §5, §6: every client must push its authorization requests to `/par` and start the
   * authorization endpoint with the `request_uri` it got (default false: only the clients
   * registered with `require_pushed_authorization_requests`).
   */
  requirePushedRequests?: boolean;
  /** Seconds a pushed request's `request_uri` may be used in (default 60; RFC 9126 §2.2 `expires_in`). */
  pushedRequestLifetime?: number;
  /**
   * Most pushed requests one client may have waiting at once (default 1000): each is kept in
   * the store until it is used or expires. Past this, `/par` answers 429 `temporarily_unavailable`.
   */
  maxPushedRequestsPerClient?: number;
  /** PKCE (RFC 7636) is always required of public clients. */
  pkce?: {
    /** Require it of confidential clients too (default true, RFC 9700 §2.1.1). */
    requireForConfidentialClients?: boolean;
    /** Accept the `plain` method besides S256 (default false). */
    allowPlain?: boolean;
  };
}

export type CheckedAuthorizationOptions = Required<Omit<AuthorizationOptions, 'pkce'>> & { pkce: PkcePolicy };

const AUTHORIZATION_KEYS: KnownKeys<AuthorizationOptions> = {
  getUser: true, login: true, renderConsent: true, renderError: true,
  codeLifetime: true, consentLifetime: true, maxPendingConsents: true, maxStateLength: true, rememberConsent: true, pkce: true,
  requirePushedRequests: true, pushedRequestLifetime: true, maxPushedRequestsPerClient: true,
};
const PKCE_KEYS: KnownKeys<NonNullable<AuthorizationOptions['pkce']>> = { requireForConfidentialClients: true, allowPlain: true };

export function checkAuthorizationOptions(at: OptionPath, value: unknown): CheckedAuthorizationOptions {
  if (value === undefined) {
    throw at.error('is required with authorizationCode() and deviceAuthorization(): give at least { getUser(req), login(req, res, returnTo) }');
  }
  const options = checkOptionsObject(at, value, AUTHORIZATION_KEYS, '{ getUser(req), login(req, res, returnTo), … }');
  const pkce = checkOptionsObject(at.at('pkce'), options.pkce, PKCE_KEYS, '{ requireForConfidentialClients, allowPlain }');
  return {
    getUser: requireFunction(at.at('getUser'), options.getUser, 'a function'),
    login: requireFunction(at.at('login'), options.login, 'a function'),
    renderConsent: checkFunction(at.at('renderConsent'), options.renderConsent) ?? renderConsentPage,
    renderError: checkFunction(at.at('renderError'), options.renderError) ?? renderErrorPage,
    codeLifetime: checkPositiveInteger(at.at('codeLifetime'), options.codeLifetime, 60),
    consentLifetime: checkPositiveInteger(at.at('consentLifetime'), options.consentLifetime, 600),
    maxPendingConsents: checkPositiveInteger(at.at('maxPendingConsents'), options.maxPendingConsents, 20),
    maxStateLength: checkPositiveInteger(at.at('maxStateLength'), options.maxStateLength, 1024),
    rememberConsent: checkNonNegativeInteger(at.at('rememberConsent'), options.rememberConsent, 0),
    requirePushedRequests: checkBoolean(at.at('requirePushedRequests'), options.requirePushedRequests, false),
    pushedRequestLifetime: checkPositiveInteger(at.at('pushedRequestLifetime'), options.pushedRequestLifetime, 60),
    maxPushedRequestsPerClient: checkPositiveInteger(at.at('maxPushedRequestsPerClient'), options.maxPushedRequestsPerClient, 1000),
    pkce: {
      requireForConfidentialClients: checkBoolean(at.at('pkce').at('requireForConfidentialClients'), pkce.requireForConfidentialClients, true),
      allowPlain: checkBoolean(at.at('pkce').at('allowPlain'), pkce.allowPlain, false),
    },
  };
}
