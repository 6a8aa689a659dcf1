import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { runExampleAppToExit, startExampleApp, type RunningExampleApp } from '../helpers/example-app';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';

/** What `curl -u id:secret -d grant_type=client_credentials …/oauth/token` sends. */
async function curlToken(app: RunningExampleApp, id: string, secret: string): Promise<Response> {
  return fetch(`${app.url}/oauth/token`, {
    method: 'POST',
    headers: { Authorization: 'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64'), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
}

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

describe('example-app on the in-memory store (npm start)', () => {
  let app: RunningExampleApp;
  beforeAll(async () => {
    app = await startExampleApp();
  });
  afterAll(() => app.stop());

  test('prints one line: where it listens, the store, the demo clients', () => {
    expect(app.banner.split('\n')).toHaveLength(1);
    expect(app.banner).toContain(app.url);
    expect(app.banner).toContain('in-memory');
    expect(app.banner).toContain('svc-reporting');
    expect(app.banner).not.toContain('secret-change-me');
  });

  test('open registration (RFC 7591): a client registers itself, gets a token and calls the API; RFC 7592 deletes it', async () => {
    const metadata = (await (await fetch(`${app.url}/.well-known/oauth-authorization-server/oauth`)).json()) as Record<string, unknown>;
    expect(metadata.registration_endpoint).toBe(`${metadata.issuer}/register`);
    const registration = await fetch(`${app.url}/oauth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_name: 'Self-registered', grant_types: ['client_credentials'], scope: 'read admin mcp:tools' }),
    });
    expect(registration.status).toBe(201);
    const client = (await registration.json()) as { client_id: string; client_secret: string; scope: string; registration_access_token: string; registration_client_uri: string };
    expect(client.scope).toBe('read mcp:tools');
    const res = await curlToken(app, client.client_id, client.client_secret);
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    expect(await (await fetch(`${app.url}/api/hello`, bearer(access_token))).json()).toEqual({ client_id: client.client_id, scope: 'read mcp:tools' });
    // The issuer names localhost; the app listens on 127.0.0.1.
    const removed = await fetch(app.url + new URL(client.registration_client_uri).pathname, { method: 'DELETE', ...bearer(client.registration_access_token) });
    expect(removed.status).toBe(204);
    expect((await fetch(`${app.url}/api/hello`, bearer(access_token))).status).toBe(401);
  });

  test('curl -u id:secret gives a token that opens GET /api/hello', async () => {
    const res = await curlToken(app, 'svc-reporting', 'reporting-secret-change-me');
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    const hello = await fetch(`${app.url}/api/hello`, bearer(access_token));
    expect(hello.status).toBe(200);
    expect(await hello.json()).toEqual({ client_id: 'svc-reporting', scope: 'read write' });
  });

  test('GET /api/admin needs scope admin: 403 insufficient_scope naming it', async () => {
    const { access_token } = (await (await curlToken(app, 'svc-reporting', 'reporting-secret-change-me')).json()) as { access_token: string };
    const admin = await fetch(`${app.url}/api/admin`, bearer(access_token));
    expect(admin.status).toBe(403);
    expect(admin.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="admin"/);
  });

  test('a client_secret_post client with scope admin opens /api/admin', async () => {
    const res = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'svc-admin', client_secret: 'admin-secret-change-me', scope: 'admin' }),
    });
    const { access_token } = (await res.json()) as { access_token: string };
    const admin = await fetch(`${app.url}/api/admin`, bearer(access_token));
    expect(admin.status).toBe(200);
    expect(await admin.json()).toEqual({ client_id: 'svc-admin', scope: 'admin' });
  });

  test('the legacy-app client may use the password grant with the users of USERS_FILE; others may not', async () => {
    const password = (clientId: string, secret: string, userPassword: string) =>
      fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: { Authorization: 'Basic ' + Buffer.from(`${clientId}:${secret}`).toString('base64') },
        body: new URLSearchParams({ grant_type: 'password', username: 'demo', password: userPassword }),
      });
    const res = await password('legacy-app', 'legacy-secret-change-me', 'demo-password-change-me');
    const { access_token } = (await res.json()) as { access_token: string };
    expect(await (await fetch(`${app.url}/api/hello`, bearer(access_token))).json()).toEqual({ client_id: 'legacy-app', scope: 'read', sub: 'demo' });
    expect(await (await password('legacy-app', 'legacy-secret-change-me', 'wrong')).json()).toMatchObject({ error: 'invalid_grant' });
    expect(await (await password('svc-reporting', 'reporting-secret-change-me', 'demo-password-change-me')).json()).toMatchObject({ error: 'unauthorized_client' });
  });

  test('the metadata lists the device authorization endpoint, and the device grant works for cli only', async () => {
    const metadata = (await (await fetch(`${app.url}/.well-known/oauth-authorization-server/oauth`)).json()) as Record<string, unknown>;
    expect(metadata.device_authorization_endpoint).toBe(`${metadata.issuer}/device_authorization`);
    const start = (clientId: string) => fetch(`${app.url}/oauth/device_authorization`, { method: 'POST', body: new URLSearchParams({ client_id: clientId }) });
    expect((await start('cli')).status).toBe(200);
    expect(await (await start('spa')).json()).toMatchObject({ error: 'unauthorized_client' });
  });

  test('no token, or a bad one: 401 with a Bearer challenge', async () => {
    const none = await fetch(`${app.url}/api/hello`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    const bad = await fetch(`${app.url}/api/hello`, bearer('not-a-token'));
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });
});

describe('example-app with REDIS_URL', () => {
  let redis: RedisServer;
  let app: RunningExampleApp;
  beforeAll(async () => {
    redis = await startRedisServer();
    app = await startExampleApp({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await app.stop();
    await redis.stop();
  });

  test('says it uses Redis, and keeps tokens there only as hashes', async () => {
    expect(app.banner).toContain(`redis (${redis.url})`);
    const { access_token } = (await (await curlToken(app, 'svc-reporting', 'reporting-secret-change-me')).json()) as { access_token: string };
    expect((await fetch(`${app.url}/api/hello`, bearer(access_token))).status).toBe(200);
    const inspector = new Redis(redis.url);
    try {
      const keys = await inspector.keys('*');
      expect(keys.length).toBeGreaterThan(0);
      // Strings, and hashes (the signing keys, which the example-app keeps in Redis).
      const value = async (key: string) => ((await inspector.type(key)) === 'hash' ? JSON.stringify(await inspector.hgetall(key)) : inspector.get(key));
      const dump = keys.join('\n') + (await Promise.all(keys.map(value))).join('\n');
      expect(dump).not.toContain(access_token);
      expect(dump).not.toContain('reporting-secret-change-me');
    } finally {
      inspector.disconnect();
    }
  });
});

describe('a bad configuration exits non-zero with one clear line', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'example-app-'));
  const file = (name: string, content: string) => {
    const full = path.join(dir, name);
    writeFileSync(full, content);
    return full;
  };

  test.each([
    ['an unreadable CLIENTS_FILE', () => ({ CLIENTS_FILE: path.join(dir, 'missing.json') }), /CLIENTS_FILE .*missing\.json cannot be read/],
    ['a CLIENTS_FILE that is not JSON', () => ({ CLIENTS_FILE: file('broken.json', '[{') }), /CLIENTS_FILE .* is not valid JSON/],
    ['a CLIENTS_FILE that is not an array', () => ({ CLIENTS_FILE: file('object.json', '{}') }), /must hold a JSON array/],
    [
      'invalid client metadata',
      () => ({ CLIENTS_FILE: file('invalid.json', JSON.stringify([{ client_id: 'x', client_secret: 's', grant_types: ['client_credentials'], redirect_uris: ['relative'] }])) }),
      /option `clients` is invalid: client "x": redirect_uri "relative" is not an absolute URI/,
    ],
    ['an unreachable Redis', () => ({ REDIS_URL: 'redis://127.0.0.1:1' }), /REDIS_URL redis:\/\/127\.0\.0\.1:1 cannot be reached/],
    ['a bad PORT', () => ({ PORT: 'eighty' }), /PORT must be a port number/],
    ['a bad DEVICE_POLL_INTERVAL', () => ({ DEVICE_POLL_INTERVAL: '0.5' }), /DEVICE_POLL_INTERVAL must be a positive whole number/],
    ['an unreadable TRUSTED_ISSUERS_FILE', () => ({ TRUSTED_ISSUERS_FILE: path.join(dir, 'no-issuers.json') }), /TRUSTED_ISSUERS_FILE .*no-issuers\.json cannot be read/],
    ['a TRUSTED_ISSUERS_FILE entry without keys', () => ({ TRUSTED_ISSUERS_FILE: file('issuers.json', JSON.stringify([{ issuer: 'https://idp.example' }])) }), /TRUSTED_ISSUERS_FILE .*: entry 0 needs a non-empty string issuer and one of jwks and jwks_uri/],
    [
      'a TRUSTED_ISSUERS_FILE with a private key',
      () => ({ TRUSTED_ISSUERS_FILE: file('private.json', JSON.stringify([{ issuer: 'https://idp.example', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' }] } }])) }),
      /option `jwtBearer.trustedIssuers.0.jwks` must hold public keys only/,
    ],
    [
      'a private_key_jwt client with a private key in its jwks',
      () => ({ CLIENTS_FILE: file('private-client.json', JSON.stringify([{ client_id: 'k', token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'], jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' }] } }])) }),
      /client "k": `jwks` must hold public keys only/,
    ],
  ])('%s', async (_case, env, message) => {
    const { code, stdout, stderr } = await runExampleAppToExit(env());
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^example-app: /);
    expect(lines[0]).toMatch(message);
  });
});
