import { redisStore } from '../../lib/stores/redis';
import { hashTokenValue } from '../../lib/tokens/token-value';
import { eventually } from '../helpers/eventually';
import { startExampleApp, type RunningExampleApp } from '../helpers/example-app';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';

// A demo client of example-app/clients.json.
const BASIC = `Basic ${Buffer.from('svc-reporting:reporting-secret-change-me').toString('base64')}`;

let redis: RedisServer | undefined;
const apps: RunningExampleApp[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
  const env = { PORT: '0', REDIS_URL: redis.url };
  apps.push(...(await Promise.all([startExampleApp(env), startExampleApp(env)])));
}, 30_000);
afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  await redis?.stop();
});

const hello = (app: RunningExampleApp, token: string) => fetch(`${app.url}/api/hello`, { headers: { authorization: `Bearer ${token}` } });

test('a token issued by one instance is accepted by the other, and refused by both once revoked in the shared store', async () => {
  const [one, other] = apps;
  const issued = await fetch(`${one.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=read',
  });
  expect(issued.status).toBe(200);
  const { access_token: token } = (await issued.json()) as { access_token: string };

  const used = await hello(other, token);
  expect(used.status).toBe(200);
  expect(await used.json()).toEqual({ client_id: 'svc-reporting', scope: 'read' });

  // Revoked as the revocation endpoint will do it: through the store, from a third process's view.
  const store = redisStore({ url: (redis as RedisServer).url });
  try {
    await expect(store.revokeAccessToken(hashTokenValue(token))).resolves.toBe(true);
  } finally {
    await store.close();
  }
  for (const app of apps) {
    const refused = await hello(app, token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  }
});

test('GET /healthz and the API answer 503 on every instance while Redis is down, and recover by themselves', async () => {
  const server = redis as RedisServer;
  for (const app of apps) expect(await (await fetch(`${app.url}/healthz`)).json()).toEqual({ status: 'ok' });

  await server.kill();
  try {
    for (const app of apps) {
      const health = await fetch(`${app.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ status: 'unavailable' });
      const api = await hello(app, 'any-token');
      expect(api.status).toBe(503);
      expect(await api.json()).toMatchObject({ error: 'temporarily_unavailable' });
    }
  } finally {
    await server.restart();
  }
  for (const app of apps) {
    await eventually(`${app.url} to report healthy again`, async () => (await fetch(`${app.url}/healthz`)).status === 200);
  }
});
