import fc from 'fast-check';
import { contentType, headerText, hostileText, hugeText, method, tokenShape, transport } from './arbitraries';
import type { ValidCredentials } from './fuzz-app';
import type { RawRequest } from './http';
import type { FuzzCase, FuzzTarget } from './targets';

/** Metadata fields of RFC 7591 §2 with values worth trying besides hostile ones. */
const METADATA_VALUES: Readonly<Record<string, readonly unknown[]>> = {
  redirect_uris: [['https://app.example/cb'], ['http://127.0.0.1/cb'], ['com.example.app:/cb'], ['javascript:alert(1)'], ['https://app.example/cb#x'], 'https://app.example/cb', [], [null]],
  grant_types: [['authorization_code'], ['client_credentials'], ['password'], ['implicit'], [], 'client_credentials'],
  response_types: [['code'], ['token'], [], ['code', 'code']],
  token_endpoint_auth_method: ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt', 'x'],
  application_type: ['web', 'native', 'desktop'],
  scope: ['read', 'read write', 'admin', 'read  write', ''],
  client_name: ['App', 7, ''],
  jwks: [{ keys: [] }, { keys: 'x' }, []],
  jwks_uri: ['https://app.example/jwks', 'http://app.example/jwks'],
  client_uri: ['https://app.example', 'javascript:alert(1)'],
  contacts: [['a@app.example'], 'a@app.example'],
  client_id: ['svc', 'x'],
  client_secret: ['chosen'],
  introspect_any: [true],
};

/** A registration the fuzz app must accept, with the valid initial access token. */
const VALID_REGISTRATIONS = [
  { grant_types: ['client_credentials'], scope: 'read' },
  { grant_types: ['authorization_code'], redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none', application_type: 'native' },
];

const JSON_TYPE = fc.oneof({ weight: 6, arbitrary: fc.constant<string | undefined>('application/json') }, fc.constantFrom('application/json; charset=utf-8', 'APPLICATION/JSON', 'application/jwt'), contentType);

/** Bearer headers carrying anything but `valid`, well-formed or not; or no header. */
function otherAuthorization(valid: string): fc.Arbitrary<string | undefined> {
  const other = tokenShape(valid).filter((token) => token !== valid);
  return fc.oneof(
    fc.constant(undefined),
    other.map((token) => `Bearer ${token}`),
    fc.tuple(fc.constantFrom('bearer ', 'Bearer\t', 'Basic ', ''), other).map(([scheme, token]) => scheme + token),
    headerText,
  );
}

/** JSON bodies: metadata objects with likely and hostile values, other JSON, broken JSON, noise. */
const jsonBody: fc.Arbitrary<Buffer> = (() => {
  const names = Object.keys(METADATA_VALUES);
  const value = (name: string) =>
    fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...(METADATA_VALUES[name] ?? [null])) }, fc.jsonValue({ maxDepth: 2 }), hostileText, { weight: 1, arbitrary: hugeText });
  const entry = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names).chain((name) => value(name).map((v) => [name, v] as const)) }, fc.tuple(hostileText, fc.jsonValue({ maxDepth: 1 })));
  const metadata = fc.array(entry, { maxLength: 10 }).map((entries) => Buffer.from(JSON.stringify(Object.fromEntries(entries))));
  return fc.oneof(
    { weight: 6, arbitrary: metadata },
    fc.jsonValue({ maxDepth: 3 }).map((json) => Buffer.from(JSON.stringify(json) ?? 'null')),
    fc.integer({ min: 1, max: 5_000 }).map((depth) => Buffer.from('['.repeat(depth) + ']'.repeat(depth))),
    hostileText.map((text) => Buffer.from(text)),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    fc.constant(Buffer.alloc(0)),
  );
})();

/**
 * RFC 7591 §3: hostile registration requests, with the fuzz app's registration gated by an
 * initial access token, so that a 2xx without it is a bypass. Errors must be RFC 7591 §3.2.2
 * JSON, never a 5xx.
 */
export function registrationTarget(): FuzzTarget {
  return {
    name: 'registration endpoint',
    cases(valid) {
      const secrets = secretsOf(valid);
      const clean = fc.constantFrom(...VALID_REGISTRATIONS).map(
        (body): FuzzCase => ({
          request: { method: 'POST', path: '/oauth/register', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${valid.initialAccessToken}` }, body: Buffer.from(JSON.stringify(body)) },
          expected: { carriesCredential: true, secrets },
          mustSucceed: (response) => response.status === 201,
        }),
      );
      const hostile = fc
        .record({ method: method('POST'), withToken: fc.boolean(), other: otherAuthorization(valid.initialAccessToken), contentType: JSON_TYPE, body: jsonBody })
        .chain(({ method, withToken, other, contentType, body }) => {
          const authorization = withToken ? `Bearer ${valid.initialAccessToken}` : other;
          const request: RawRequest = {
            method,
            path: '/oauth/register',
            headers: { ...(authorization !== undefined && { Authorization: authorization }), ...(contentType !== undefined && { 'Content-Type': contentType }) },
            body,
          };
          return transport(request).map((request): FuzzCase => ({ request, expected: { carriesCredential: withToken, secrets } }));
        });
      return fc.oneof({ weight: 1, arbitrary: clean }, { weight: 6, arbitrary: hostile });
    },
  };
}

/**
 * RFC 7592: the client configuration endpoint of the fuzz app's registered client, with every
 * method and any token but its registration access token: nothing may succeed. The clean case
 * reads it with the right token (a read changes nothing, so the case stays valid).
 */
export function clientConfigurationTarget(): FuzzTarget {
  return {
    name: 'client configuration endpoint',
    cases(valid) {
      const secrets = secretsOf(valid);
      const { path, token } = valid.registered;
      const clean = fc.constant<FuzzCase>({
        request: { method: 'GET', path, headers: { Authorization: `Bearer ${token}` } },
        // RFC 7592 §3: a read answers with the registration access token it was made with.
        expected: { carriesCredential: true, secrets: secrets.filter((secret) => secret !== token) },
        mustSucceed: (response) => response.status === 200,
      });
      const hostile = fc
        .record({
          method: fc.constantFrom('GET', 'PUT', 'DELETE', 'POST', 'PATCH', 'HEAD', 'OPTIONS'),
          authorization: otherAuthorization(token),
          path: fc.oneof({ weight: 4, arbitrary: fc.constant(path) }, hostileText.map((id) => `/oauth/register/${encodeURIComponent(Buffer.from(id).toString())}`), fc.constant('/oauth/register/')),
          contentType: JSON_TYPE,
          body: jsonBody,
        })
        .map(({ method, authorization, path, contentType, body }): FuzzCase => ({
          request: {
            method,
            path,
            headers: { ...(authorization !== undefined && { Authorization: authorization }), ...(contentType !== undefined && { 'Content-Type': contentType }) },
            body,
          },
          expected: { carriesCredential: false, bodylessChallengeAllowed: true, secrets },
        }));
      return fc.oneof({ weight: 1, arbitrary: clean }, { weight: 6, arbitrary: hostile });
    },
  };
}

function secretsOf(valid: ValidCredentials): string[] {
  return [valid.basic.secret, valid.post.secret, valid.token, valid.jwt, valid.initialAccessToken, valid.registered.token];
}
