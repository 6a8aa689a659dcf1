import express from 'express';
import request from 'supertest';
import { generateSecret, SignJWT, UnsecuredJWT, exportSPKI, importJWK, type CryptoKey, type JWTPayload } from 'jose';
import { resourceServer } from '../../lib';
import { ACCESS_TOKEN_ALGORITHMS } from '../../lib/tokens/jwt-access-token';
import { OAuthServerOptionsError } from '../../lib/options/checks';
import { IssuerMetadataError } from '../../lib/resource/issuer-discovery';
import { remoteResourceServer, type RemoteTimings, type ResourceServer } from '../../lib/resource/resource-server';
import type { ResourceServerOptions } from '../../lib/options/resource-server';
import { fakeIssuer, fakeKey, type FakeIssuer } from '../helpers/fake-issuer';

const RESOURCE = 'https://api.example.test/reports';
let now = Math.floor(Date.now() / 1000);
const clock = () => now;
let fake: FakeIssuer;
let api: ResourceServer;
let errors: unknown[];

function serve(options: Partial<ResourceServerOptions> = {}, timings: Partial<RemoteTimings> = {}) {
  errors = [];
  api = remoteResourceServer(
    { issuer: fake.issuer, resource: RESOURCE, allowHttpLoopback: true, clock, onError: (error) => errors.push(error), scopes: ['read', 'write'], ...options },
    { timings },
  );
  const app = express();
  app.get(api.metadataPath, api.metadataHandler);
  app.get('/reports', api.requireToken('read'), (req, res) => res.json(req.oauth));
  return app;
}

const claims = (overrides: JWTPayload = {}): JWTPayload => ({
  iss: fake.issuer, aud: RESOURCE, sub: 'alice', client_id: 'app', scope: 'read write', iat: now, exp: now + 600, jti: `jti-${Math.random()}`, ...overrides,
});
const get = (app: express.Express, token: string) => request(app).get('/reports').set('Authorization', `Bearer ${token}`);

beforeEach(async () => {
  now = Math.floor(Date.now() / 1000);
  fake = await fakeIssuer();
});
afterEach(async () => {
  await api?.close();
  await fake.close();
});

function expectInvalidToken(res: request.Response, token?: string) {
  expect(res.status).toBe(401);
  expect(res.body.error).toBe('invalid_token');
  expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  if (token !== undefined) expect(JSON.stringify(res.body) + res.headers['www-authenticate']).not.toContain(token.slice(-20));
}

function expectUnavailable(res: request.Response) {
  expect(res.status).toBe(503);
  expect(res.body.error).toBe('temporarily_unavailable');
}

describe('JWT access tokens (RFC 9068) verified with the issuer\'s jwks_uri', () => {
  test('a good token opens the route; req.oauth tells who it speaks for', async () => {
    const app = serve();
    const res = await get(app, await fake.sign(claims()));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ clientId: 'app', scope: ['read', 'write'], sub: 'alice', expiresAt: now + 600, audience: RESOURCE });
  });

  test('a client-credentials token (sub is the client, §2.2) has no sub; typ application/at+jwt and an aud array are accepted', async () => {
    const app = serve();
    const token = await fake.sign(claims({ sub: 'app', aud: ['https://other.example.test', RESOURCE] }), { header: { typ: 'application/at+jwt' } });
    const res = await get(app, token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ clientId: 'app', scope: ['read', 'write'], expiresAt: now + 600, audience: RESOURCE });
  });

  test('a token without the scope asked for: 403 insufficient_scope', async () => {
    const res = await get(serve(), await fake.sign(claims({ scope: 'write' })));
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="read"/);
  });

  describe('hostile tokens: 401 invalid_token, never 5xx', () => {
    const cases: [string, () => Promise<string>][] = [
      ['forged: signed by another key under the issuer\'s kid', async () => fake.sign(claims(), { key: { ...(await fakeKey('k1')) } })],
      ['alg none', async () => new UnsecuredJWT(claims()).setIssuer(fake.issuer).encode()],
      ['alg none with the typ and kid', async () => {
        const unsecured = new UnsecuredJWT(claims()).encode().split('.');
        const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: 'k1' })).toString('base64url');
        return `${header}.${unsecured[1]}.`;
      }],
      ['HS256 keyed with the public key\'s bytes (PEM)', async () => {
        const spki = await exportSPKI((await importJWK(fake.keys[0]!.publicJwk, 'ES256', { extractable: true })) as CryptoKey);
        return new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' }).sign(new TextEncoder().encode(spki));
      }],
      ['HS256 keyed with the public JWK\'s JSON', async () =>
        new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' }).sign(new TextEncoder().encode(JSON.stringify(fake.keys[0]!.publicJwk)))],
      ['HS256 with a random secret', async () => new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(await generateSecret('HS256'))],
      ['typ JWT', async () => fake.sign(claims(), { header: { typ: 'JWT' } })],
      ['no typ', async () => fake.sign(claims(), { header: { typ: undefined } })],
      ['expired', async () => fake.sign(claims({ iat: now - 700, exp: now - 100 }))],
      ['for another audience', async () => fake.sign(claims({ aud: 'https://other.example.test/api' }))],
      ['from another issuer', async () => fake.sign(claims({ iss: 'https://evil.example.test/oauth' }))],
      ['without exp', async () => fake.sign(claims({ exp: undefined }))],
      ['without client_id', async () => fake.sign(claims({ client_id: undefined }))],
      ['without sub', async () => fake.sign(claims({ sub: undefined }))],
      ['without iat', async () => fake.sign(claims({ iat: undefined }))],
      ['without jti', async () => fake.sign(claims({ jti: undefined }))],
      ['with a scope that is not a string', async () => fake.sign(claims({ scope: ['read'] as unknown as string }))],
      ['not yet valid', async () => fake.sign(claims({ nbf: now + 3600 }))],
      ['longer than 8 KB, validly signed', async () => fake.sign(claims({ padding: 'x'.repeat(7 * 1024) }))],
      ['a header that is not JSON', async () => 'bm90IGpzb24.e30.AAAA'],
      ['a payload that is not JSON', async () => `${Buffer.from('{"alg":"ES256","kid":"k1","typ":"at+jwt"}').toString('base64url')}.bm90IGpzb24.AAAA`],
      ['empty parts', async () => 'a..b'],
      ['base64 with + and /', async () => 'ab+c/d.ef+g.hi/j'],
      ['three letters', async () => 'x.y.z'],
    ];
    test.each(cases)('%s', async (_name, make) => {
      const app = serve();
      const token = await make();
      const res = await get(app, token);
      expectInvalidToken(res, token);
    });

    test('a 100 KB token is refused before it is read (by the HTTP server\'s header limit), never 5xx', async () => {
      const app = serve();
      const token = await fake.sign(claims({ padding: 'x'.repeat(100 * 1024) }));
      const res = await get(app, token).catch((error: { response?: request.Response }) => error.response);
      expect(res?.status).toBeGreaterThanOrEqual(400);
      expect(res?.status).toBeLessThan(500);
    });
  });

  test('a flood of tokens with made-up kids costs one JWKS fetch per cooldown', async () => {
    const app = serve();
    const strangers = await Promise.all(Array.from({ length: 5 }, (_, index) => fakeKey(`stranger-${index}`)));
    const flood = () => Promise.all(Array.from({ length: 40 }, (_, index) => fake.sign(claims(), { key: strangers[index % 5] })).map(async (token) => get(app, await token)));
    for (const res of await flood()) expectInvalidToken(res);
    expect(fake.counts.jwks).toBe(1);
    for (const res of await flood()) expectInvalidToken(res);
    expect(fake.counts.jwks).toBe(1);
    expect((await get(app, await fake.sign(claims()))).status).toBe(200);
    expect(fake.counts.jwks).toBe(1);
  });

  test('a key published after the last fetch is found once the cooldown has passed (rotation)', async () => {
    const app = serve({}, { keysCooldownMs: 0 });
    expect((await get(app, await fake.sign(claims()))).status).toBe(200);
    const next = await fakeKey('k2');
    fake.keys.push(next);
    expect((await get(app, await fake.sign(claims(), { key: next }))).status).toBe(200);
    expect(fake.counts.jwks).toBe(2);
  });

  test('verified tokens are cached: the same token again needs no signature check or fetch', async () => {
    const app = serve({}, { keysMaxAgeMs: 0 });
    const token = await fake.sign(claims());
    expect((await get(app, token)).status).toBe(200);
    await fake.close();
    expect((await get(app, token)).status).toBe(200);
  });

  test('the issuer down: a token whose key was fetched still verifies; one with another key is 503, not 401', async () => {
    const app = serve({}, { keysMaxAgeMs: 0, keysCooldownMs: 0 });
    expect((await get(app, await fake.sign(claims()))).status).toBe(200);
    fake.failing = true;
    expect((await get(app, await fake.sign(claims()))).status).toBe(200);
    expectUnavailable(await get(app, await fake.sign(claims(), { key: await fakeKey('k9') })));
    expect(errors.length).toBeGreaterThan(0);
  });

  test('the JWKS unreachable before any key was fetched: 503 (fail closed), and the next fetch waits for the cooldown', async () => {
    const app = serve();
    await request(app).get('/reports'); // nothing fetched yet: discovery is lazy
    expect(fake.counts.metadata).toBe(0);
    fake.metadata = { jwks_uri: `${fake.server.origin}/missing-jwks` };
    for (let i = 0; i < 3; i++) expectUnavailable(await get(app, await fake.sign(claims())));
    expect(errors.filter((error) => (error as { code?: string }).code === 'bad_status')).toHaveLength(1);
  });

  test('the verifier uses the issuer\'s clock leeway on exp (default 5 s)', async () => {
    const app = serve();
    const token = await fake.sign(claims({ exp: now + 10 }));
    now += 14;
    expect((await get(app, token)).status).toBe(200);
    now += 1;
    expectInvalidToken(await get(app, token));
  });
});

describe('discovery (RFC 8414)', () => {
  test('metadata naming another issuer is never used: 503, and no token is accepted', async () => {
    fake.metadata = { issuer: 'https://evil.example.test/oauth' };
    const app = serve();
    expectUnavailable(await get(app, await fake.sign(claims())));
    expect(errors[0]).toBeInstanceOf(IssuerMetadataError);
    expect(fake.counts.jwks).toBe(0);
  });

  test.each([
    ['an http jwks_uri on another host', { jwks_uri: 'http://example.com/jwks' }],
    ['a jwks_uri on a private address', { jwks_uri: 'https://10.0.0.1/jwks' }],
    ['a jwks_uri that is not a string', { jwks_uri: 42 }],
  ])('%s: 503', async (_name, metadata) => {
    fake.metadata = metadata;
    expectUnavailable(await get(serve(), await fake.sign(claims())));
    expect(fake.counts.jwks).toBe(0);
  });

  test('the issuer down: 503; asked again only after the retry wait; then tokens verify', async () => {
    fake.failing = true;
    const app = serve();
    const token = await fake.sign(claims());
    expectUnavailable(await get(app, token));
    expectUnavailable(await get(app, token));
    expect(fake.counts.metadata).toBe(1);
    fake.failing = false;
    expectUnavailable(await get(app, token));
    now += 10;
    expect((await get(app, token)).status).toBe(200);
    expect(fake.counts.metadata).toBe(2);
  });

  test('the issuer not listening at all: 503', async () => {
    const app = serve();
    const token = await fake.sign(claims());
    await fake.close();
    expectUnavailable(await get(app, token));
    expect((errors[0] as { code?: string }).code).toBe('connect');
  });

  test('the metadata is fetched again after 10 minutes; a failed refresh keeps the metadata known', async () => {
    const app = serve();
    expect((await get(app, await fake.sign(claims()))).status).toBe(200);
    now += 600;
    fake.failing = true;
    expect((await get(app, await fake.sign(claims({ iat: now, exp: now + 600 })))).status).toBe(200);
    expect(fake.counts.metadata).toBe(2);
  });
});

describe('opaque tokens through introspection (RFC 7662)', () => {
  const introspection = () => ({ clientId: fake.credentials.id, clientSecret: fake.credentials.secret });
  const activeAnswer = (overrides: Record<string, unknown> = {}) => ({
    active: true, client_id: 'app', scope: 'read', sub: 'alice', exp: now + 600, iat: now, aud: RESOURCE, iss: fake.issuer, token_type: 'Bearer', ...overrides,
  });

  test('an active token for this resource opens the route', async () => {
    fake.introspection.set('opaque-1', activeAnswer());
    const res = await get(serve({ introspection: introspection() }), 'opaque-1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ clientId: 'app', scope: ['read'], sub: 'alice', expiresAt: now + 600, audience: RESOURCE });
  });

  test.each([
    ['inactive', { active: false }],
    ['another audience', { aud: ['https://other.example.test'] }],
    ['no audience', { aud: undefined }],
    ['a refresh token', { token_type: 'refresh_token' }],
    ['another issuer', { iss: 'https://evil.example.test/oauth' }],
    ['expired', { exp: now - 100 }],
    ['active as a string', { active: 'true' }],
    ['no client_id', { client_id: undefined }],
    ['not yet valid', { nbf: now + 3600 }],
    ['an audience that is neither a string nor an array', { aud: 42 }],
    ['a scope that is not a scope', { scope: 'read  write' }],
  ])('%s: 401 invalid_token', async (_name, overrides) => {
    fake.introspection.set('opaque-1', activeAnswer(overrides));
    expectInvalidToken(await get(serve({ introspection: introspection() }), 'opaque-1'), 'opaque-1');
  });

  test('no audience is accepted with acceptTokensWithoutAudience', async () => {
    fake.introspection.set('opaque-1', activeAnswer({ aud: undefined }));
    const res = await get(serve({ introspection: introspection(), acceptTokensWithoutAudience: true }), 'opaque-1');
    expect(res.status).toBe(200);
    expect(res.body.audience).toBeUndefined();
  });

  test('answers are cached: active ones for cacheSeconds, so a revocation is seen within that bound', async () => {
    fake.introspection.set('opaque-1', activeAnswer());
    const app = serve({ introspection: { ...introspection(), cacheSeconds: 30 } });
    expect((await get(app, 'opaque-1')).status).toBe(200);
    fake.introspection.delete('opaque-1');
    now += 29;
    expect((await get(app, 'opaque-1')).status).toBe(200);
    expect(fake.counts.introspect).toBe(1);
    now += 1;
    expectInvalidToken(await get(app, 'opaque-1'));
    expect(fake.counts.introspect).toBe(2);
  });

  test('inactive answers are cached for 5 seconds', async () => {
    const app = serve({ introspection: introspection() });
    expectInvalidToken(await get(app, 'opaque-1'));
    fake.introspection.set('opaque-1', activeAnswer());
    now += 4;
    expectInvalidToken(await get(app, 'opaque-1'));
    expect(fake.counts.introspect).toBe(1);
    now += 1;
    expect((await get(app, 'opaque-1')).status).toBe(200);
  });

  test('a flood of unknown tokens does not push the answers about good ones out of the cache', async () => {
    fake.introspection.set('good', activeAnswer());
    const app = serve({ introspection: { ...introspection(), maxEntries: 2 } });
    expect((await get(app, 'good')).status).toBe(200);
    for (let i = 0; i < 5; i++) expectInvalidToken(await get(app, `made-up-${i}`));
    expect((await get(app, 'good')).status).toBe(200);
    expect(fake.counts.introspect).toBe(6);
  });

  test('client credentials are form-encoded before Basic (RFC 6749 §2.3.1)', async () => {
    fake.credentials = { id: 'rs:1', secret: 'pa ss+wörd%' };
    fake.introspection.set('opaque-1', activeAnswer());
    expect((await get(serve({ introspection: introspection() }), 'opaque-1')).status).toBe(200);
  });

  test('requests for the same token together make one introspection request', async () => {
    fake.introspection.set('opaque-1', activeAnswer());
    const app = serve({ introspection: introspection() });
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(app, 'opaque-1')));
    expect(answers.map((res) => res.status)).toEqual(Array(10).fill(200));
    expect(fake.counts.introspect).toBe(1);
  });

  test('the issuer down, or refusing our credentials: 503, never a token let through', async () => {
    fake.introspection.set('opaque-1', activeAnswer());
    const app = serve({ introspection: { ...introspection(), clientSecret: 'wrong' } });
    expectUnavailable(await get(app, 'opaque-1'));
    expect((errors.at(-1) as { code?: string }).code).toBe('bad_status');
    const other = serve({ introspection: introspection() });
    await get(other, 'warm-up');
    fake.failing = true;
    expectUnavailable(await get(other, 'opaque-1'));
  });

  test('the introspection endpoint failing: other tokens get 503 without asking it for 2 seconds, then it is asked again', async () => {
    const app = serve({ introspection: introspection() });
    await get(app, 'warm-up'); // discovery done
    fake.failing = true;
    expectUnavailable(await get(app, 'opaque-1'));
    expectUnavailable(await get(app, 'opaque-2'));
    expect(fake.counts.introspect).toBe(2);
    fake.failing = false;
    fake.introspection.set('opaque-2', activeAnswer());
    now += 2;
    expect((await get(app, 'opaque-2')).status).toBe(200);
    expect(fake.counts.introspect).toBe(3);
  });

  test('without introspection options, an opaque token is invalid_token and the issuer is not asked', async () => {
    expectInvalidToken(await get(serve(), 'opaque-1'));
    expect(fake.counts).toEqual({ metadata: 0, jwks: 0, introspect: 0 });
  });
});

describe('RFC 9728 and the challenges', () => {
  test('the protected resource metadata document is served at its path-insertion path', async () => {
    const app = serve({ resourceName: 'Reports' });
    expect(api.metadataPath).toBe('/.well-known/oauth-protected-resource/reports');
    const res = await request(app).get(api.metadataPath);
    expect(res.body).toEqual({
      resource: RESOURCE,
      authorization_servers: [fake.issuer],
      scopes_supported: ['read', 'write'],
      bearer_methods_supported: ['header'],
      resource_name: 'Reports',
      // RFC 9728 §2: DPoP is on by default.
      dpop_signing_alg_values_supported: ACCESS_TOKEN_ALGORITHMS,
    });
    const withoutDpop = serve({ dpop: false });
    expect((await request(withoutDpop).get(api.metadataPath)).body).not.toHaveProperty('dpop_signing_alg_values_supported');
  });

  test('every challenge names the metadata URL (RFC 9728 §5.1)', async () => {
    const app = serve();
    const attribute = 'resource_metadata="https://api.example.test/.well-known/oauth-protected-resource/reports"';
    expect((await request(app).get('/reports')).headers['www-authenticate']).toContain(attribute);
    expect((await get(app, 'x.y.z')).headers['www-authenticate']).toContain(attribute);
    expect((await get(app, await fake.sign(claims({ scope: 'write' })))).headers['www-authenticate']).toContain(attribute);
  });
});

test('close(): later requests fail closed', async () => {
  const app = serve();
  const token = await fake.sign(claims());
  expect((await get(app, token)).status).toBe(200);
  await api.close();
  expectUnavailable(await get(app, token));
});

describe('options are checked at start-up', () => {
  const base = () => ({ issuer: 'https://auth.example.test/oauth', resource: RESOURCE });
  test.each([
    [{ issuer: 'http://localhost:3000/oauth' }, 'issuer'],
    [{ issuer: 'https://auth.example.test/oauth?x=1' }, 'issuer'],
    [{ issuer: 'https://127.0.0.1/oauth' }, 'issuer'],
    [{ issuer: 'https://10.1.2.3/oauth', allowHttpLoopback: true }, 'issuer'],
    [{ issuer: 'https://[::ffff:169.254.169.254]/oauth' }, 'issuer'],
    [{ resource: 'not a url' }, 'resource'],
    [{ resource: 'https://api.example.test/a"b' }, 'resource'],
    [{ resource: 'https://api.example.test/a b' }, 'resource'],
    [{ algorithms: ['HS256'] }, 'algorithms'],
    [{ algorithms: ['none'] }, 'algorithms'],
    [{ algorithms: [] }, 'algorithms'],
    [{ introspection: { clientId: 'rs' } }, 'introspection.clientSecret'],
    [{ introspection: { clientId: 'rs', clientSecret: 's', cacheSecond: 3 } }, 'introspection.cacheSecond'],
    [{ audience: RESOURCE }, 'audience'],
    [{ clockToleranceSeconds: -1 }, 'clockToleranceSeconds'],
    [{ scopes: ['bad scope'] }, 'scopes'],
  ])('%j is refused, naming %s', (overrides, option) => {
    let thrown: unknown;
    try {
      resourceServer({ ...base(), ...overrides } as ResourceServerOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(OAuthServerOptionsError);
    expect((thrown as OAuthServerOptionsError).option).toBe(option);
    expect((thrown as Error).message).toMatch(/^resourceServer: /);
  });

  test('an http issuer on localhost with allowHttpLoopback', () => {
    expect(() => resourceServer({ issuer: 'http://localhost:3000/oauth', resource: 'http://localhost:3000/api', allowHttpLoopback: true })).not.toThrow();
  });
});
