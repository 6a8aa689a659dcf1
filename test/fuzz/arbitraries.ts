import fc from 'fast-check';
import type { RawRequest } from './http';
import type { ValidCredentials } from './fuzz-app';

type Pair = [string, string];

/** Characters that break parsers: separators of forms, headers and Basic pairs, controls, bidi and BOM. */
const NASTY = ['\0', '\r', '\n', '\t', '\x7f', '%', '%00', '%zz', '%C3', '%E2%80', '+', '&', '=', ':', ';', ' ', '"', '\\', '\u2028', '\uFEFF', '\u202E', '\uD800', '🔑', 'é'];

/** Text an attacker might send: ASCII, any Unicode (lone surrogates too), runs of nasty characters, prototype names. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...NASTY), maxLength: 20 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '', ' ', '[]', 'a[b]', 'a[]'),
);

/** Values far past every limit (body 16 kB, header 16 kB), and some just under them. */
export const hugeText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...'A%=&+é'), fc.integer({ min: 1_000, max: 40_000 }))
  .map(([unit, length]) => unit.repeat(length));

/** Header values as an HTTP client can put them on the wire: visible Latin-1, spaces and tabs. */
export const headerText: fc.Arbitrary<string> = fc.string({
  unit: fc.integer({ min: 0x09, max: 0xff }).filter((c) => c === 0x09 || (c >= 0x20 && c !== 0x7f)).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Client credentials, broken in every way a Basic header or a form can break them. */
export function credentials(valid: ValidCredentials): fc.Arbitrary<{ headers: Record<string, string>; params: Pair[]; valid: boolean }> {
  const basicHeader = (value: string, isValid = false) => ({ headers: { Authorization: value }, params: [] as Pair[], valid: isValid });
  const post = (params: Pair[], isValid = false) => ({ headers: {}, params, valid: isValid });
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(basicHeader('Basic ' + base64(`${valid.basic.id}:${valid.basic.secret}`), true)) },
    { weight: 3, arbitrary: fc.constant(post([['client_id', valid.post.id], ['client_secret', valid.post.secret]], true)) },
    fc.constant(post([])),
    hostileText.map((secret) => basicHeader('Basic ' + base64(`${valid.basic.id}:${secret}`))),
    // The scrypt-hashed client and the public one, with guessed secrets.
    fc.tuple(fc.constantFrom('human', 'pub'), hostileText).map(([id, secret]) => basicHeader('Basic ' + base64(`${id}:${secret}`))),
    fc.tuple(hostileText, hostileText).map(([id, secret]) => basicHeader('Basic ' + base64(`${id}:${secret}`))),
    hostileText.map((pair) => basicHeader('Basic ' + base64(pair.replace(/:/g, '')))),
    headerText.map((junk) => basicHeader('Basic ' + junk)),
    fc.constantFrom('Basic', 'Basic ', 'basic', 'BASIC  ' + base64('svc:x'), 'Basic ===', 'Basic Og==', 'Basic ' + base64(':'), 'Basicx abc', 'Bearer abc', 'Digest x').map((value) => basicHeader(value)),
    fc.integer({ min: 1_000, max: 12_000 }).map((length) => basicHeader('Basic ' + base64(`${valid.basic.id}:${'s'.repeat(length)}`))),
    fc.integer({ min: 20_000, max: 40_000 }).map((length) => basicHeader('Basic ' + 'A'.repeat(length))),
    hostileText.map((secret) => post([['client_id', valid.post.id], ['client_secret', secret]])),
    fc.tuple(hostileText, hostileText).map(([id, secret]) => post([['client_id', id], ['client_secret', secret]])),
    hostileText.map((id) => post([['client_id', id]])),
    // private_key_jwt (RFC 7521 §4.2): assertions nobody could sign, for the keyed client and for
    // the secret clients: alg none, HMAC, garbage, huge, the wrong type, beside a secret.
    fc.tuple(fc.constantFrom(...forgedAssertions(valid.basic.id)), fc.constantFrom(JWT_ASSERTION_TYPE, 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', '')).map(([assertion, type]) =>
      post([['client_assertion_type', type], ['client_assertion', assertion]]),
    ),
    hostileText.map((assertion) => post([['client_assertion_type', JWT_ASSERTION_TYPE], ['client_assertion', assertion]])),
    fc.constantFrom(...forgedAssertions('keyed')).map((assertion) => post([['client_id', 'keyed'], ['client_assertion_type', JWT_ASSERTION_TYPE], ['client_assertion', assertion]])),
    fc.constantFrom(...forgedAssertions('keyed')).map((assertion) => post([['client_assertion_type', JWT_ASSERTION_TYPE], ['client_assertion', assertion], ['client_secret', valid.post.secret]])),
    // Two methods at once, and a body client_id that contradicts the header.
    fc.constant({ headers: { Authorization: 'Basic ' + base64(`${valid.basic.id}:${valid.basic.secret}`) }, params: [['client_secret', valid.basic.secret]] as Pair[], valid: true }),
    fc.constant({ headers: { Authorization: 'Basic ' + base64(`${valid.basic.id}:${valid.basic.secret}`) }, params: [['client_id', valid.post.id]] as Pair[], valid: true }),
  );
}

const JWT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const jsonPart = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** JWTs of `subject` from `issuer` that no key of the server verifies: unsigned, HMAC, wrong signature, malformed, huge. */
export function forgedAssertions(subject: string, issuer = subject): string[] {
  const claims = jsonPart({ iss: issuer, sub: subject, aud: 'https://auth.example.test/oauth', exp: 4102444800, jti: 'j' });
  return [
    `${jsonPart({ alg: 'none' })}.${claims}.`,
    `${jsonPart({ alg: 'HS256', kid: 'fuzz-key' })}.${claims}.${'A'.repeat(43)}`,
    `${jsonPart({ alg: 'ES256', kid: 'fuzz-key' })}.${claims}.${'A'.repeat(86)}`,
    `${jsonPart({ alg: 'ES256', kid: 'fuzz-key', crit: ['x'] })}.${claims}.AA`,
    `${jsonPart({ alg: 'ES256' })}.${jsonPart({ sub: ['x'] })}.AA`,
    `${jsonPart({ alg: 'RS256', jku: 'http://169.254.169.254/keys' })}.${claims}.AA`,
    `${jsonPart({ alg: 'ES256' })}.${'A'.repeat(3500)}.AA`,
    'a.b.c',
    '...',
  ];
}

/** Parameters for an endpoint: its own names with likely and hostile values, unknown names, repeats. */
export function parameters(known: Readonly<Record<string, readonly string[]>>): fc.Arbitrary<Pair[]> {
  const names = Object.keys(known);
  const value = (name: string) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...(known[name] ?? [''])) }, hostileText, { weight: 1, arbitrary: hugeText });
  const pair: fc.Arbitrary<Pair> = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names).chain((name) => value(name).map((v): Pair => [name, v])) },
    fc.tuple(hostileText, hostileText),
  );
  return fc.array(pair, { maxLength: 8 }).chain((pairs) =>
    // Now and then a parameter comes twice (RFC 6749 §3.2 forbids it).
    fc.boolean().map((repeat) => (repeat && pairs.length > 0 ? [...pairs, pairs[0]] : pairs)),
  );
}

const FORM = 'application/x-www-form-urlencoded';
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(FORM) },
  fc.constantFrom(
    undefined,
    `${FORM}; charset=utf-8`,
    `${FORM}; charset=UTF-8`,
    `${FORM}; charset=iso-8859-1`,
    `${FORM}; charset=utf-16`,
    `${FORM}; charset=bogus`,
    `${FORM}; charset="`,
    FORM.toUpperCase(),
    `${FORM};;;`,
    `${FORM}, application/json`,
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    '',
    ';',
    '*/*',
    'application/*',
  ),
  headerText,
);

/** A form body, encoded properly, sent raw (control characters and broken UTF-8 included), or as noise. */
export function formBody(pairs: Pair[]): fc.Arbitrary<Buffer> {
  const encoded = pairs.map(([name, value]) => `${encodeURIComponent(safe(name))}=${encodeURIComponent(safe(value))}`).join('&');
  const raw = pairs.map(([name, value]) => `${name}=${value}`).join('&');
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(Buffer.from(encoded)) },
    fc.constant(Buffer.from(raw, 'utf8')),
    fc.constant(Buffer.from(raw, 'latin1')),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    fc.constant(Buffer.alloc(0)),
  );
}

/** encodeURIComponent throws on lone surrogates: the encoder of a real client would replace them. */
function safe(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** How the body travels: as announced, chunked, cut off mid-way, or longer than announced. */
export function transport(request: RawRequest): fc.Arbitrary<RawRequest> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant(request) },
    fc.constant({ ...request, headers: { ...request.headers, 'Transfer-Encoding': 'chunked' } }),
    fc.constant({ ...request, truncate: true }),
    fc.constant({ ...request, headers: { ...request.headers, 'Content-Length': String(Math.floor((request.body?.length ?? 0) / 2)) } }),
    fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown').map((encoding) => ({ ...request, headers: { ...request.headers, 'Content-Encoding': encoding } })),
  );
}

export const method = (usual: string): fc.Arbitrary<string> =>
  fc.oneof({ weight: 8, arbitrary: fc.constant(usual) }, fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'FOO'));

/** Access tokens of every shape: the real one, near misses of it, random token68 strings, junk, huge. */
export function tokenShape(valid: string): fc.Arbitrary<string> {
  const at = fc.nat({ max: valid.length - 1 });
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(valid) },
    at.map((i) => valid.slice(0, i) + (valid[i] === 'A' ? 'B' : 'A') + valid.slice(i + 1)),
    at.map((i) => valid.slice(0, i)),
    fc.constantFrom(valid + 'A', valid + '=', valid.toUpperCase(), valid.toLowerCase(), `${valid}.${valid}`, valid.slice(1) + valid[0]),
    fc.stringMatching(/^[A-Za-z0-9\-._~+/]{0,80}=*$/),
    headerText,
    fc.integer({ min: 1_000, max: 12_000 }).map((length) => 'A'.repeat(length)),
  );
}

/** Where and how a token is presented to requireToken (RFC 6750 §2), including malformed Authorization headers. */
export function bearerRequest(valid: string, path: string): fc.Arbitrary<RawRequest> {
  const header = fc.oneof(
    { weight: 4, arbitrary: tokenShape(valid).map((token) => `Bearer ${token}`) },
    fc.tuple(fc.constantFrom('bearer ', 'BEARER  ', 'Bearer\t', 'Bearer', 'Basic ', 'Token ', '', ' Bearer ', 'DPoP ', 'dpop '), tokenShape(valid), fc.constantFrom('', ' ', ' x', ',', '\t')).map(
      ([scheme, token, tail]) => scheme + token + tail,
    ),
    headerText,
  );
  return fc
    .record({
      method: method('GET'),
      authorization: fc.option(header, { nil: undefined }),
      query: fc.option(fc.tuple(tokenShape(valid), fc.boolean()), { nil: undefined }),
      body: fc.option(tokenShape(valid), { nil: undefined }),
      contentType,
    })
    .map(({ method, authorization, query, body, contentType }) => {
      const headers: Record<string, string> = {};
      if (authorization !== undefined) headers.Authorization = authorization;
      if (contentType !== undefined && body !== undefined) headers['Content-Type'] = contentType;
      const queryString = query === undefined ? '' : `?access_token=${encodeURIComponent(query[0])}${query[1] ? `&access_token=${encodeURIComponent(query[0])}` : ''}`;
      return { method, path: path + queryString, headers, body: body === undefined ? undefined : Buffer.from(`access_token=${encodeURIComponent(body)}`) };
    })
    .chain(transport);
}
