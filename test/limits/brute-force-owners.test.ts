import request from 'supertest';
import { Redis } from 'ioredis';
import { basic, testApp, expectOAuthErrorBody, type TestApp } from '../helpers/test-app';
import type { ClientAuthFailedEvent } from '../../lib/client-auth/authenticate';
import type { OAuthServerOptions } from '../../lib/options';
import type { Store } from '../../lib/stores/store';
import { STORE_KINDS, useStores, type StoreKind } from '../helpers/stores';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { redisStore } from '../../lib/stores/redis/store';

/*
 * The brute-force limits must not be a weapon against the clients they protect: failures from
 * other addresses never refuse a client's right secret from its own address, requests that test
 * no secret count nothing, and a burst of right secrets is never refused.
 */
const stores = useStores();
// A secret a person chose, configured in plaintext: guessable, so under the brute-force limits.
const CLIENTS = [
  { client_id: 'svc', client_secret: 'correct horse', grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'other', client_secret: 'battery staple', grant_types: ['client_credentials'], scope: 'read' },
];

const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map(({ oauth }) => oauth.close()));
});

describe.each(STORE_KINDS)('brute-force limits cannot be turned against their owners (%s store)', (kind: StoreKind) => {
  function limitedApp(options: Partial<OAuthServerOptions> = {}) {
    const events: ClientAuthFailedEvent[] = [];
    const store = stores(kind);
    const subject = testApp({ clients: CLIENTS, store, onClientAuthFailed: (event) => events.push(event), ...options, before: (app) => app.set('trust proxy', 'loopback') });
    apps.push(subject);
    const send = (clientId: string, secret: string, from = '192.0.2.1') =>
      request(subject.app).post('/oauth/token').type('form').set('X-Forwarded-For', from).set('Authorization', basic(clientId, secret)).send('grant_type=client_credentials');
    const wrongChecks = () => events.filter((event) => event.reason === 'wrong_secret').length;
    return { ...subject, store, send, events, wrongChecks };
  }

  test('200 concurrent requests with the right (guessable) secret all get a token', async () => {
    const { send } = limitedApp();
    const responses = await Promise.all(Array.from({ length: 200 }, () => send('svc', 'correct horse')));
    expect(responses.map((res) => res.status)).toEqual(Array(200).fill(200));
  }, 60_000);

  test('a wrong guess landing in a burst of right secrets refuses none of them', async () => {
    const { send } = limitedApp({ bruteForce: { perPair: { points: 1 } } });
    const burst = Array.from({ length: 40 }, (_, i) => (i === 20 ? send('svc', 'wrong', '198.51.100.9') : send('svc', 'correct horse')));
    const statuses = (await Promise.all(burst)).map((res) => res.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(39);
  }, 30_000);

  test('50 parallel wrong guesses from one address: at most points + 3 secrets checked, then blocked with Retry-After', async () => {
    const subject = limitedApp();
    await subject.send('svc', 'correct horse', '203.0.113.5');
    const guesses = await Promise.all(Array.from({ length: 50 }, () => subject.send('svc', 'wrong')));
    expect(guesses.every((res) => res.status === 401)).toBe(true);
    // points − 1 counted before the block, plus at most 4 in flight in this process (README).
    expect(subject.wrongChecks()).toBeLessThanOrEqual(10 - 1 + 4);
    const blocked = await subject.send('svc', 'correct horse');
    expect(blocked.status).toBe(401);
    expectOAuthErrorBody(blocked.body, 'invalid_client');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // The client's own (known-good) address is not blocked by a stranger's failures.
    const own = await subject.send('svc', 'correct horse', '203.0.113.5');
    expect(own.status).toBe(200);
    expect(own.headers['retry-after']).toBeUndefined();
  }, 30_000);

  test('an IPv6 host is one address: fresh addresses within its /64 (RFC 4291 §2.5.1) share one count', async () => {
    const subject = limitedApp();
    for (let i = 1; i <= 10; i++) await subject.send('svc', 'wrong', `2001:db8:1:2::${i.toString(16)}`);
    expect(subject.wrongChecks()).toBe(10);
    const fresh = await subject.send('svc', 'correct horse', '2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(fresh.status).toBe(401);
    expect(Number(fresh.headers['retry-after'])).toBeGreaterThan(0);
    expect(subject.wrongChecks()).toBe(10);
    // Another /64 is another address.
    expect((await subject.send('svc', 'correct horse', '2001:db8:1:3::1')).status).toBe(200);
  }, 30_000);

  test('10 failures from one address do not refuse the right secret from another address, even a new one', async () => {
    const subject = limitedApp();
    for (let i = 0; i < 10; i++) await subject.send('svc', 'wrong', '192.0.2.66');
    expect((await subject.send('svc', 'correct horse', '192.0.2.66')).status).toBe(401);
    expect((await subject.send('svc', 'correct horse', '192.0.2.67')).status).toBe(200);
  }, 30_000);

  test('with the client blocked across addresses, only addresses it succeeded from are still admitted', async () => {
    const subject = limitedApp({ bruteForce: { perPair: { points: 2 }, perClient: { points: 4 } } });
    expect((await subject.send('svc', 'correct horse', '203.0.113.1')).status).toBe(200);
    for (const from of ['192.0.2.1', '192.0.2.1', '192.0.2.2', '192.0.2.2']) await subject.send('svc', 'wrong', from);
    const stranger = await subject.send('svc', 'correct horse', '192.0.2.3');
    expect(stranger.status).toBe(401);
    expect(Number(stranger.headers['retry-after'])).toBeGreaterThan(0);
    expect((await subject.send('svc', 'correct horse', '203.0.113.1')).status).toBe(200);
  }, 30_000);

  test('failures for many clients from one address do not lock out a client that succeeded from it', async () => {
    const subject = limitedApp({ bruteForce: { perAddress: { points: 3 } } });
    expect((await subject.send('svc', 'correct horse', '192.0.2.50')).status).toBe(200);
    for (let i = 0; i < 3; i++) await subject.send('other', 'wrong', '192.0.2.50');
    expect((await subject.send('svc', 'correct horse', '192.0.2.50')).status).toBe(200);
  }, 30_000);

  test('requests that test no secret are refused but count nothing and keep no state', async () => {
    const subject = limitedApp({ bruteForce: { perPair: { points: 2 }, perClient: { points: 2 }, perAddress: { points: 2 } } });
    const from = '192.0.2.77';
    for (let i = 0; i < 5; i++) {
      const noSecret = await request(subject.app).post('/oauth/token').type('form').set('X-Forwarded-For', from).send('grant_type=client_credentials&client_id=svc-admin');
      expect(noSecret.status).toBe(401);
      expect((await subject.send(`ghost-${i}`, 'wrong', from)).status).toBe(401);
      const malformed = await request(subject.app).post('/oauth/token').type('form').set('X-Forwarded-For', from).set('Authorization', 'Basic !!!').send('grant_type=client_credentials');
      expect(malformed.status).toBe(401);
      const noCredentials = await request(subject.app).post('/oauth/token').type('form').set('X-Forwarded-For', from).send('grant_type=client_credentials');
      expect(noCredentials.status).toBe(401);
    }
    expect(subject.events.some((event) => event.reason === 'wrong_secret' || event.reason === 'rate_limited')).toBe(false);
    expect((await subject.send('svc', 'correct horse', from)).status).toBe(200);
  }, 30_000);

  test('a store whose limit state cannot be read or written answers 503, never 401', async () => {
    const down = () => Promise.reject(new Error('down'));
    const healthy = stores(kind);
    const broken: Store = { ...healthy, attempts: { read: down, countFailure: down, markKnown: down } } as Store;
    const subject = limitedApp({ store: broken });
    for (const secret of ['correct horse', 'wrong']) {
      const res = await subject.send('svc', secret);
      expect(res.status).toBe(503);
      expectOAuthErrorBody(res.body, 'temporarily_unavailable');
    }
  });

  test('a stalled limit state: every request waiting on it or on a slot gets 503 within the timeout, none 401', async () => {
    const stall = () => new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer')), 100));
    const broken = { ...stores(kind), attempts: { timeoutMs: 100, read: stall, countFailure: stall, markKnown: stall } } as Store;
    const subject = limitedApp({ store: broken });
    const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => subject.send('svc', i % 2 === 0 ? 'correct horse' : 'wrong')));
    expect(responses.map((res) => res.status)).toEqual(Array(12).fill(503));
  });
});

describe('limit state in Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis.stop());

  test('requests that test no secret write no key at all', async () => {
    const subject = testApp({ clients: CLIENTS, store: redisStore({ url: redis.url, keyPrefix: 'nothing:' }) });
    apps.push(subject);
    const post = () => request(subject.app).post('/oauth/token').type('form');
    for (let i = 0; i < 20; i++) {
      await post().set('Authorization', basic(`ghost-${i}`, 'wrong')).send('grant_type=client_credentials');
      await post().send(`grant_type=client_credentials&client_id=svc-admin-${i}`);
      await post().send('grant_type=client_credentials&client_secret=wrong');
    }
    const inspector = new Redis(redis.url);
    try {
      expect(await inspector.keys('nothing:*')).toEqual([]);
    } finally {
      inspector.disconnect();
    }
  });

  test('counters are never negative, every key expires, no raw id or address appears in a key', async () => {
    const subject = testApp({ clients: CLIENTS, store: redisStore({ url: redis.url }), before: (app) => app.set('trust proxy', 'loopback') });
    apps.push(subject);
    const send = (secret: string, from: string) =>
      request(subject.app).post('/oauth/token').type('form').set('X-Forwarded-For', from).set('Authorization', basic('svc', secret)).send('grant_type=client_credentials');
    await Promise.all(Array.from({ length: 30 }, (_, i) => send(i % 3 === 0 ? 'wrong' : 'correct horse', `192.0.2.${i % 4}`)));
    const inspector = new Redis(redis.url);
    try {
      const keys = await inspector.keys('*');
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key).not.toMatch(/svc|192\.0\.2/);
        expect(await inspector.ttl(key)).toBeGreaterThan(0);
        const value = (await inspector.type(key)) === 'string' ? await inspector.get(key) : null;
        if (value !== null && /^-?\d+$/.test(value)) expect(Number(value)).toBeGreaterThanOrEqual(0);
      }
    } finally {
      inspector.disconnect();
    }
  }, 30_000);
});
