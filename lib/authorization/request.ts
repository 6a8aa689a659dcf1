import { isConfidential, type Client } from '../clients/client';
import type { ClientRegistry } from '../clients/registry';
import { InvalidRequestError, InvalidTargetError, UnauthorizedClientError, UnsupportedResponseTypeError } from '../errors';
import { isCodeChallenge, type CodeChallengeMethod } from '../pkce';
import { resolveScope } from '../scope';
import { isRegisteredRedirectUri } from './redirect-uri';
import { knownResource, type Resources } from '../resource/resources';

/** Parameters as they arrived, in the query or a form body: a repeated one has an array of values. */
export type AuthorizationParams = Readonly<Record<string, unknown>>;

export interface PkcePolicy {
  /** RFC 9700 §2.1.1: confidential clients must use PKCE too (public clients always must). */
  requireForConfidentialClients: boolean;
  /** RFC 7636 §4.2: accept the `plain` method (S256 only otherwise). */
  allowPlain: boolean;
}

/** Where the authorization response goes: once known, every error is sent there (RFC 6749 §4.1.2.1). */
export interface RedirectTarget {
  client: Client;
  redirectUri: string;
  /** RFC 6749 §4.1.3: the token request must then repeat it. */
  redirectUriInRequest: boolean;
  state?: string;
}

/** A checked authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3). */
export interface AuthorizationRequest extends RedirectTarget {
  scope: string[];
  /** RFC 8707 §2.1: the resources the client wants tokens for. */
  resources?: string[];
  codeChallenge?: string;
  codeChallengeMethod?: CodeChallengeMethod;
}

const REPEATED = Symbol('repeated');

/** RFC 6749 §3.1: parameters must not be repeated, and an empty one counts as omitted. */
function single(params: AuthorizationParams, name: string): string | undefined | typeof REPEATED {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  return typeof value === 'string' ? value : REPEATED;
}

/** RFC 8707 §2.1: `resource` may be repeated; each must be a resource this server knows (`invalid_target`). */
function requestedResources(value: unknown, resources: Resources): string[] {
  if (value === undefined || value === '') return [];
  const named = new Set<string>();
  for (const item of Array.isArray(value) ? value : [value]) {
    if (typeof item !== 'string') throw new InvalidTargetError('The resource parameter is malformed.');
    named.add(knownResource(resources, item).uri);
  }
  return [...named];
}

/**
 * Finds the client and the redirect URI. RFC 6749 §4.1.2.1: when either is missing, invalid or
 * unknown, the error is thrown here for the user to see, and the user agent is never redirected.
 */
export async function findRedirectTarget(params: AuthorizationParams, clients: ClientRegistry): Promise<RedirectTarget> {
  const clientId = single(params, 'client_id');
  if (clientId === REPEATED) throw new InvalidRequestError('The client_id parameter is repeated.');
  if (clientId === undefined) throw new InvalidRequestError('The client_id parameter is missing.');
  const client = await clients.find(clientId);
  if (client === undefined) throw new InvalidRequestError('The client is not known to this server.');

  const given = single(params, 'redirect_uri');
  if (given === REPEATED) throw new InvalidRequestError('The redirect_uri parameter is repeated.');
  let redirectUri: string;
  if (given === undefined) {
    // RFC 6749 §3.1.2.3: optional only when the client registered exactly one.
    if (client.redirectUris.length !== 1) {
      throw new InvalidRequestError('The redirect_uri parameter is missing, and the client did not register exactly one.');
    }
    redirectUri = client.redirectUris[0];
  } else {
    // RFC 6749 §3.1.2.3, RFC 9700 §4.1.3: exact string comparison; any port on loopback (RFC 8252 §7.3).
    if (!isRegisteredRedirectUri(client.redirectUris, given)) throw new InvalidRequestError('The redirect_uri is not registered for this client.');
    redirectUri = given;
  }

  // A repeated state is refused by checkAuthorizationRequest, with a response carrying no state.
  const state = single(params, 'state');
  const target: RedirectTarget = { client, redirectUri, redirectUriInRequest: given !== undefined };
  return typeof state === 'string' ? { ...target, state } : target;
}

/**
 * Checks the rest of the request, once the redirect target is known; an error thrown here is
 * sent to the client's redirect URI.
 */
export function checkAuthorizationRequest(params: AuthorizationParams, target: RedirectTarget, pkce: PkcePolicy, resources: Resources): AuthorizationRequest {
  const value = (name: string): string | undefined => {
    const found = single(params, name);
    if (found === REPEATED) throw new InvalidRequestError(`The ${name} parameter is repeated.`);
    return found;
  };
  const { client } = target;
  value('state');

  // RFC 6749 §4.1.1, §4.1.2.1: only the code flow (OAuth 2.1 drops the implicit grant).
  const responseType = value('response_type');
  if (responseType === undefined) throw new InvalidRequestError('The response_type parameter is missing.');
  if (responseType !== 'code') throw new UnsupportedResponseTypeError('Only response_type=code is supported.');
  if (!client.grantTypes.includes('authorization_code')) {
    throw new UnauthorizedClientError('The client is not authorized to use the authorization code grant.');
  }

  // RFC 6749 §3.3: within the client's registered scope.
  const scope = resolveScope(value('scope'), client.scope);

  // RFC 7636 §4.3, §4.4.1.
  const challenge = value('code_challenge');
  const method = value('code_challenge_method');
  const named = requestedResources(params.resource, resources);
  const request: AuthorizationRequest = { ...target, scope, ...(named.length > 0 && { resources: named }) };
  if (challenge === undefined) {
    if (method !== undefined) throw new InvalidRequestError('code_challenge_method was sent without a code_challenge.');
    if (!isConfidential(client) || pkce.requireForConfidentialClients) {
      throw new InvalidRequestError('A code_challenge (PKCE, RFC 7636) is required.');
    }
    return request;
  }
  // RFC 7636 §4.3: the method defaults to plain.
  const challengeMethod = method ?? 'plain';
  if (challengeMethod !== 'S256' && !(challengeMethod === 'plain' && pkce.allowPlain)) {
    throw new InvalidRequestError(pkce.allowPlain ? 'code_challenge_method must be S256 or plain.' : 'code_challenge_method must be S256.');
  }
  if (!isCodeChallenge(challenge, challengeMethod)) {
    throw new InvalidRequestError('The code_challenge is malformed (RFC 7636 §4.2).');
  }
  return { ...request, codeChallenge: challenge, codeChallengeMethod: challengeMethod };
}
