import type { RawRequest, RawResponse } from './http';

/** Error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, RFC 8628 §3.5, RFC 8707 §2, RFC 9101 §7, RFC 7591 §3.2.2 and RFC 9449 §7.1, §8 that a 4xx/503 may carry. */
const ERROR_CODES = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'access_denied',
  'unsupported_response_type',
  'temporarily_unavailable',
  'invalid_token',
  'insufficient_scope',
  'authorization_pending',
  'slow_down',
  'expired_token',
  'invalid_target',
  'invalid_request_uri',
  'invalid_redirect_uri',
  'invalid_client_metadata',
  // RFC 9449 §5, §7.1, §8: a request with a DPoP header (or an Authorization: DPoP one).
  'invalid_dpop_proof',
  'use_dpop_nonce',
]);

/** RFC 6749 §5.2: error and error_description are %x20-21 / %x23-5B / %x5D-7E. */
const DESCRIPTION = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;

/** Statuses Node's own HTTP parser answers with, for requests too broken to reach the app. */
const PARSER_STATUSES = new Set([400, 413, 414, 431]);

export interface Expectations {
  /** The request carried valid credentials (client credentials or an access token). */
  carriesCredential: boolean;
  /** A 401 without a body is right (RFC 6750 §3.1: a request with no authentication information). */
  bodylessChallengeAllowed?: boolean;
  /** The store is deliberately down: 503 temporarily_unavailable is then the right answer. */
  storeDown?: boolean;
  /** Values that must never be echoed back: valid secrets and tokens. */
  secrets: readonly string[];
}

/**
 * With the store down, a client whose generated secret needs no store may still ask about a
 * JWT-looking token that is not this server's (no store is needed to see that its signature
 * is not ours): revocation answers 200 with nothing revoked (RFC 7009 §2.2), introspection
 * `{"active": false}` (RFC 7662 §2.2). Nothing is granted.
 */
function answeredNothingWithoutStore(request: RawRequest, response: RawResponse, expected: Expectations): boolean {
  if (expected.storeDown !== true || response.status !== 200) return false;
  const path = request.path.split('?')[0];
  return (path === '/oauth/revoke' && response.text === '') || (path === '/oauth/introspect' && response.text === '{"active":false}');
}

/**
 * The properties every response to a hostile request must have. Returns the problems found
 * (empty when none), so that a failure names all of them.
 */
export function responseProblems(request: RawRequest, response: RawResponse | undefined, expected: Expectations): string[] {
  if (response === undefined) return request.truncate ? [] : ['the connection ended without a response'];
  const problems: string[] = [];
  if (response.status >= 500 && !(expected.storeDown && response.status === 503)) problems.push(`status ${response.status}`);
  if (!response.fromApp) {
    if (!PARSER_STATUSES.has(response.status)) problems.push(`Node's parser answered ${response.status}`);
    return problems;
  }

  const everything = response.text + JSON.stringify(response.headers);
  for (const secret of expected.secrets) if (everything.includes(secret)) problems.push('a valid secret or token is echoed');

  let body: unknown;
  if (response.text !== '') {
    try {
      body = JSON.parse(response.text);
    } catch {
      problems.push(`a body that is not JSON: ${response.text.slice(0, 80)}`);
    }
  }
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const grantsSomething = 'access_token' in fields || 'refresh_token' in fields || fields.active === true || 'registration_access_token' in fields || 'client_secret' in fields;
  if (!expected.carriesCredential) {
    if (grantsSomething) problems.push('a token or active:true without valid credentials');
    // Every endpoint here needs client credentials or a token: success without them is a bypass.
    if (response.status < 300 && !answeredNothingWithoutStore(request, response, expected)) problems.push(`a ${response.status} without valid credentials`);
  }

  if (response.status >= 400 && request.method !== 'HEAD') {
    if (body === undefined) {
      if (!(response.status === 401 && expected.bodylessChallengeAllowed)) problems.push(`an error ${response.status} without a body`);
    } else if (
      typeof fields.error !== 'string' ||
      !ERROR_CODES.has(fields.error) ||
      typeof fields.error_description !== 'string' ||
      !DESCRIPTION.test(fields.error_description)
    ) {
      problems.push(`not an RFC 6749 §5.2 error object: ${response.text.slice(0, 200)}`);
    }
  }
  return problems;
}
