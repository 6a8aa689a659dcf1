import fc from 'fast-check';
import { hostileText, hugeText, method } from './arbitraries';
import type { RawResponse } from './http';
import type { FuzzCase, FuzzTarget } from './targets';

/** The authorization-code client of the fuzz app, and what it registered. */
export const AUTHORIZE_CLIENT = { id: 'spa', redirectUri: 'https://spa.example/cb', scope: 'read' };
/** The one redirect URI of the fuzz app's confidential clients (svc, poster), so that they may push authorization requests. */
export const FUZZ_REDIRECT_URI = 'https://svc.example/cb';
/** Each code client's registered redirect URI: the only place a request naming it may be redirected to. */
const REGISTERED: ReadonlyMap<string, string> = new Map([
  [AUTHORIZE_CLIENT.id, AUTHORIZE_CLIENT.redirectUri],
  ['svc', FUZZ_REDIRECT_URI],
  ['poster', FUZZ_REDIRECT_URI],
]);
/** Where the fuzz app sends anonymous users. */
export const LOGIN_PATH = '/login';
export const FUZZ_USER = 'fuzz-user';

export const S256_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const AUTHORIZE_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  response_type: ['code', 'token', 'code token', 'id_token', ''],
  client_id: [AUTHORIZE_CLIENT.id, 'svc', 'unknown'],
  redirect_uri: [AUTHORIZE_CLIENT.redirectUri, 'https://evil.example/cb', `${AUTHORIZE_CLIENT.redirectUri}/x`, `${AUTHORIZE_CLIENT.redirectUri}?a=1`, 'javascript:alert(1)', '//evil.example'],
  scope: ['read', 'read write', 'admin', 'read  read'],
  state: ['xyz', '<script>', '"quoted"'],
  code_challenge: [S256_CHALLENGE, 'short', ''],
  code_challenge_method: ['S256', 'plain', 's256', 'none'],
  // RFC 9126 §4: a request_uri this server never issued, or not of its form.
  request_uri: ['urn:ietf:params:oauth:request_uri:E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', 'https://client.example/request.jwt'],
};

/**
 * RFC 6749 §3.1, §4.1.2.1, RFC 9700 §4.11 (open redirectors): hostile authorization requests,
 * by GET or POST, from anonymous or signed-in users. A response may redirect only to the
 * client's registered redirect URI (with an error or, never without consent, a code) or to
 * the login page; it is never a 5xx.
 */
export function authorizeTarget(): FuzzTarget {
  return {
    name: 'authorization endpoint',
    cases() {
      const knownPair = fc.constantFrom(...Object.keys(AUTHORIZE_PARAMETERS)).chain((name) =>
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...AUTHORIZE_PARAMETERS[name]) }, hostileText, hugeText).map((value): [string, string] => [name, value]),
      );
      const pair = fc.oneof({ weight: 4, arbitrary: knownPair }, fc.tuple(hostileText, hostileText));
      const clean: [string, string][] = [
        ['response_type', 'code'], ['client_id', AUTHORIZE_CLIENT.id], ['redirect_uri', AUTHORIZE_CLIENT.redirectUri],
        ['code_challenge', S256_CHALLENGE], ['code_challenge_method', 'S256'], ['state', 'xyz'],
      ];
      // A valid request with some of its values replaced (or dropped, when empty): near misses reach the deepest checks.
      const nearMiss = fc.uniqueArray(knownPair, { minLength: 1, maxLength: 3, selector: ([name]) => name }).map((replacements) => {
        const replaced = new Map(replacements);
        return [...clean.map(([name, value]): [string, string] => [name, replaced.get(name) ?? value]), ...replacements.filter(([name]) => !clean.some(([n]) => n === name))];
      });
      return fc
        .record({
          method: method('GET'),
          params: fc.oneof(
            fc.array(pair, { maxLength: 10 }),
            fc.array(pair, { maxLength: 4 }).map((extra) => [...clean, ...extra]),
            { weight: 3, arbitrary: nearMiss },
            fc.constant(clean),
          ),
          signedIn: fc.boolean(),
        })
        .map(({ method, params, signedIn }): FuzzCase => {
          const query = new URLSearchParams(params.map(([n, v]): [string, string] => [Buffer.from(n).toString(), Buffer.from(v).toString()])).toString();
          const asForm = method === 'POST';
          return {
            request: {
              method,
              path: `/oauth/authorize${asForm ? '' : `?${query}`}`,
              headers: { ...(signedIn && { 'X-User': FUZZ_USER }), ...(asForm && { 'Content-Type': 'application/x-www-form-urlencoded' }) },
              ...(asForm && { body: Buffer.from(query) }),
            },
            expected: { carriesCredential: signedIn, secrets: [] },
            check: (response, storeDown) => authorizeResponseProblems(response, storeDown, registeredRedirectUri(params)),
            // A valid request: the consent page for a signed-in user, the login page for anyone else.
            ...(params === clean && (method === 'GET' || method === 'POST') && {
              mustSucceed: (response: RawResponse) =>
                signedIn ? response.status === 200 && response.text.includes('name="decision"') : String(response.headers.location).startsWith(`${LOGIN_PATH}?`),
            }),
          };
        });
    },
  };
}

/** The redirect URI of the one client a request names, if it names one that registered one. */
function registeredRedirectUri(params: readonly [string, string][]): string | undefined {
  const named = params.filter(([name]) => name === 'client_id');
  return named.length === 1 ? REGISTERED.get(named[0][1]) : undefined;
}

function authorizeResponseProblems(response: RawResponse, storeDown: boolean, registered: string | undefined): string[] {
  if (response.status >= 500 && !(storeDown && response.status === 503)) return [`status ${response.status}`];
  if (response.status < 300 || response.status >= 400) return [];
  const location = String(response.headers.location ?? '');
  if (location.startsWith(`${LOGIN_PATH}?`)) return [];
  const [base, query = ''] = location.split('?');
  if (base !== registered) return [`a redirect to a place the client did not register: ${location.slice(0, 120)}`];
  const params = new URLSearchParams(query);
  const problems: string[] = [];
  // RFC 9207 §2: every authorization response names the issuer.
  if (!params.has('iss')) problems.push('an authorization response without iss');
  // Consent is asked for on a page (remembered consent is off): a GET never yields a code.
  if (params.has('code')) problems.push('a code without the user\u2019s decision');
  if (!params.has('error')) problems.push('a redirect to the client with neither code nor error');
  return problems;
}
