import { InvalidRequestError, InvalidRequestUriError } from '../errors';
import { quotaKey, type PushedRequestRecord, type Store } from '../stores/store';
import { generateTokenValue, hashTokenValue } from '../tokens/token-value';
import type { AuthorizationParams } from './request';

/** RFC 9126 §2.2: every request_uri this server issues is this URN followed by 256 random bits. */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

/** The authorization request parameters a pushed request keeps: never the client's credentials. */
export const PUSHED_PARAMETERS: readonly string[] = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'resource'];

export interface PushPolicy {
  /** Seconds the request_uri may be used in. */
  lifetime: number;
  /** Most pushed requests one client may have waiting. */
  maxPerClient: number;
}

/**
 * Keeps a checked authorization request for its client under a new request_uri, stored only as
 * its hash, until `now + lifetime`; returns the request_uri.
 */
export async function pushRequest(store: Store, clientId: string, params: AuthorizationParams, now: number, policy: PushPolicy): Promise<string> {
  const requestUri = REQUEST_URI_PREFIX + generateTokenValue();
  const record: PushedRequestRecord = { clientId, params: keptParameters(params), expiresAt: now + policy.lifetime };
  await store.savePushedRequest(hashTokenValue(requestUri), record, [{ key: quotaKey('par:client', clientId), max: policy.maxPerClient }]);
  return requestUri;
}

function keptParameters(params: AuthorizationParams): PushedRequestRecord['params'] {
  const kept: Record<string, string | string[]> = {};
  for (const name of PUSHED_PARAMETERS) {
    const value = params[name];
    if (typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'))) kept[name] = value;
  }
  return kept;
}

/** What an authorization request naming a pushed request names: its request_uri and the client it claims. */
export interface PushedReference {
  requestUri: string;
  clientId: string;
}

/**
 * RFC 9126 §4: the pushed request an authorization request refers to, or `undefined` when it
 * has no `request_uri`. Errors are shown to the user: no redirect URI is trusted yet.
 */
export function pushedReference(params: AuthorizationParams): PushedReference | undefined {
  const { request_uri: requestUri, client_id: clientId } = params;
  if (requestUri === undefined || requestUri === '') return undefined;
  if (typeof requestUri !== 'string' || !requestUri.startsWith(REQUEST_URI_PREFIX)) {
    throw new InvalidRequestUriError('The request_uri is not one this server issued.');
  }
  // RFC 9126 §4: client_id is required beside request_uri.
  if (typeof clientId !== 'string' || clientId === '') throw new InvalidRequestError('The client_id parameter is missing or repeated.');
  return { requestUri, clientId };
}

/**
 * RFC 9126 §4: takes the pushed request, once, for the client that pushed it, while it lives;
 * its parameters are the whole authorization request (those beside request_uri are ignored).
 */
export async function takePushedRequest(store: Store, reference: PushedReference, now: number): Promise<AuthorizationParams> {
  const record = await store.takePushedRequest(hashTokenValue(reference.requestUri), reference.clientId);
  if (record === undefined || record.expiresAt <= now) {
    throw new InvalidRequestUriError('This request_uri is unknown, expired, already used or not this client\'s. Please start again from the application.');
  }
  return record.params;
}
