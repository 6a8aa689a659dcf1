import fc from 'fast-check';
import { bearerRequest, contentType, credentials, forgedAssertions, formBody, method, parameters, transport } from './arbitraries';
import type { ValidCredentials } from './fuzz-app';
import type { RawRequest, RawResponse } from './http';
import type { Expectations } from './properties';
import { authorizeTarget, FUZZ_REDIRECT_URI, S256_CHALLENGE } from './authorize-target';
import { clientConfigurationTarget, registrationTarget } from './registration-target';

/** One generated request, what the properties may expect of it, and whether it is the clean case that must succeed. */
export interface FuzzCase {
  request: RawRequest;
  expected: Expectations;
  /** When set, the request is well-formed and valid: the response must satisfy this (so the properties are not vacuous). */
  mustSucceed?: (response: RawResponse) => boolean;
  /** Properties of its own, for an endpoint whose answers are not JSON (the authorization endpoint). */
  check?: (response: RawResponse, storeDown: boolean) => string[];
}

export interface FuzzTarget {
  name: string;
  cases(valid: ValidCredentials): fc.Arbitrary<FuzzCase>;
}

/** An endpoint that takes a client-authenticated form POST (RFC 6749 §2.3, §3.2). */
export interface FormEndpoint {
  name: string;
  path: string;
  /** The endpoint's parameters, each with values worth trying besides hostile ones. */
  parameters: Readonly<Record<string, readonly string[]>>;
  /** The parameters of a request that, with valid client credentials, must get `status`. */
  success: { params: [string, string][]; status: number };
}

/** The resource (RFC 8707) of the fuzz app, whose tokens are JWTs. */
export const FUZZ_RESOURCE = 'https://auth.example.test/api';
/** Token values worth trying at revocation and introspection: opaque-looking, JWT-looking, `alg: none`. */
const TOKEN_VALUES = ['never-issued', 'a.b', '', 'a.b.c', 'eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.', `eyJhbGciOiJFUzI1NiJ9.${'A'.repeat(300)}.AA`];

/** Every form endpoint under fuzzing: adding one is adding a line here. */
export const FORM_ENDPOINTS: readonly FormEndpoint[] = [
  {
    name: 'token endpoint',
    path: '/oauth/token',
    parameters: {
      grant_type: ['client_credentials', 'authorization_code', 'refresh_token', 'password', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:x:y'],
      // RFC 7523 §2.1: assertions of the JWT bearer grant, none signed by the trusted issuer.
      assertion: forgedAssertions('u', 'https://idp.example'),
      scope: ['read', 'write', 'read write', 'admin', 'read  write'],
      device_code: ['x', 'A'.repeat(43)],
      resource: [FUZZ_RESOURCE, 'https://elsewhere.example/api', `${FUZZ_RESOURCE}#x`, 'api'],
    },
    success: { params: [['grant_type', 'client_credentials']], status: 200 },
  },
  {
    name: 'revocation endpoint',
    path: '/oauth/revoke',
    parameters: { token: TOKEN_VALUES, token_type_hint: ['access_token', 'refresh_token', 'x'] },
    success: { params: [['token', 'never-issued']], status: 200 },
  },
  {
    name: 'introspection endpoint',
    path: '/oauth/introspect',
    parameters: { token: TOKEN_VALUES, token_type_hint: ['access_token', 'refresh_token', 'x'] },
    success: { params: [['token', 'never-issued']], status: 200 },
  },
  {
    name: 'device authorization endpoint',
    path: '/oauth/device_authorization',
    parameters: { scope: ['read', 'write', 'read write', 'admin', 'read  write'] },
    success: { params: [], status: 200 },
  },
  {
    // RFC 9126 §2: an authorization request, checked as at /authorize, answered in JSON.
    name: 'pushed authorization request endpoint',
    path: '/oauth/par',
    parameters: {
      response_type: ['code', 'token', ''],
      redirect_uri: [FUZZ_REDIRECT_URI, 'https://evil.example/cb', 'javascript:alert(1)'],
      scope: ['read', 'write', 'read write', 'admin'],
      state: ['xyz', '<script>'],
      code_challenge: [S256_CHALLENGE, 'short'],
      code_challenge_method: ['S256', 'plain', 'none'],
      resource: [FUZZ_RESOURCE, 'https://unknown.example'],
      request_uri: ['urn:ietf:params:oauth:request_uri:x'],
    },
    success: { params: [['response_type', 'code'], ['code_challenge', S256_CHALLENGE], ['code_challenge_method', 'S256']], status: 201 },
  },
];

/** Every route protected by requireToken under fuzzing (the fuzz app mounts them), with the kind of token it takes. */
export const PROTECTED_ROUTES: readonly { path: string; token: 'opaque' | 'jwt' }[] = [
  { path: '/api/read', token: 'opaque' },
  { path: '/api/any', token: 'opaque' },
  // oauth.resource(FUZZ_RESOURCE).requireToken('read'): a JWT access token (RFC 9068).
  { path: '/api/resource', token: 'jwt' },
];

export function formEndpointTarget(endpoint: FormEndpoint): FuzzTarget {
  return {
    name: endpoint.name,
    cases(valid) {
      const secrets = [valid.basic.secret, valid.post.secret, valid.token];
      const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
      // RFC 6749 §3.1: unknown parameters are ignored and empty ones count as omitted, so a
      // valid request stays valid with them, with either client authentication method.
      const ignorable = fc.uniqueArray(
        fc.oneof(
          fc.constantFrom<[string, string]>(['client_id', ''], ['client_secret', ''], ['scope', ''], ['state', 'x'], ['audience', 'https://rs.example']),
          fc.tuple(fc.stringMatching(/^x_[a-z]{1,8}$/), fc.string({ maxLength: 20 })),
        ),
        { maxLength: 4, selector: ([name]) => name },
      );
      const clean = fc.record({ basic: fc.boolean(), extras: ignorable }).map(({ basic, extras }): FuzzCase => {
        const authentication: [string, string][] = basic ? [] : [['client_id', valid.post.id], ['client_secret', valid.post.secret]];
        const taken = new Set([...endpoint.success.params, ...authentication].map(([name]) => name));
        const params = [...endpoint.success.params, ...authentication, ...extras.filter(([name]) => !taken.has(name))];
        return {
          request: {
            method: 'POST',
            path: endpoint.path,
            headers: { ...FORM, ...(basic && { Authorization: 'Basic ' + Buffer.from(`${valid.basic.id}:${valid.basic.secret}`).toString('base64') }) },
            body: Buffer.from(new URLSearchParams(params).toString()),
          },
          expected: { carriesCredential: true, secrets },
          mustSucceed: (response) => response.status === endpoint.success.status,
        };
      });
      const hostile = fc
        .record({ method: method('POST'), credentials: credentials(valid), params: parameters(endpoint.parameters), contentType, query: fc.boolean() })
        .chain(({ method, credentials, params, contentType, query }) => {
          const all = [...credentials.params, ...params];
          return formBody(all).map((body): { request: RawRequest; valid: boolean } => ({
            request: {
              method,
              // Parameters in the query string must be ignored by a POST endpoint.
              path: endpoint.path + (query ? `?${new URLSearchParams(all.map(([n, v]): [string, string] => [n, Buffer.from(v).toString()])).toString()}` : ''),
              headers: { ...credentials.headers, ...(contentType === undefined ? {} : { 'Content-Type': contentType }) },
              body,
            },
            valid: credentials.valid,
          }));
        })
        .chain(({ request, valid: carriesCredential }) => transport(request).map((request): FuzzCase => ({ request, expected: { carriesCredential, secrets } })));
      return fc.oneof({ weight: 1, arbitrary: clean }, { weight: 6, arbitrary: hostile });
    },
  };
}

export function protectedRouteTarget({ path, token: kind }: (typeof PROTECTED_ROUTES)[number]): FuzzTarget {
  return {
    name: `requireToken ${path}`,
    cases(credentials) {
      const valid = { ...credentials, token: kind === 'jwt' ? credentials.jwt : credentials.token };
      const secrets = [valid.basic.secret, valid.post.secret, valid.token];
      const clean = fc.constant<FuzzCase>({
        request: { method: 'GET', path, headers: { Authorization: `Bearer ${valid.token}` } },
        expected: { carriesCredential: true, secrets },
        mustSucceed: (response) => response.status === 200 && (JSON.parse(response.text) as { clientId?: string }).clientId === valid.basic.id,
      });
      const hostile = bearerRequest(valid.token, path).map((request): FuzzCase => ({
        request,
        expected: { carriesCredential: presentsToken(request, valid.token), bodylessChallengeAllowed: true, secrets },
      }));
      return fc.oneof({ weight: 1, arbitrary: clean }, { weight: 6, arbitrary: hostile });
    },
  };
}

/**
 * Whether a request presents the valid token in a way RFC 6750 §2 allows: an exact Bearer
 * header, or the exact value in the query or body. A pass for anything else is a bug.
 */
export function presentsToken(request: RawRequest, token: string): boolean {
  const authorization = request.headers.Authorization;
  if (typeof authorization === 'string' && new RegExp(`^\\s*bearer +${escape(token)} *\\s*$`, 'i').test(authorization)) return true;
  const query = new URLSearchParams(request.path.split('?')[1] ?? '').getAll('access_token');
  const body = request.body === undefined ? [] : new URLSearchParams(request.body.toString('latin1')).getAll('access_token');
  return query.includes(token) || body.includes(token);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** The fuzz suite's targets: every form endpoint, every protected route, the authorization and registration endpoints. */
export const TARGETS: readonly FuzzTarget[] = [
  ...FORM_ENDPOINTS.map(formEndpointTarget),
  ...PROTECTED_ROUTES.map(protectedRouteTarget),
  authorizeTarget(),
  registrationTarget(),
  clientConfigurationTarget(),
];
