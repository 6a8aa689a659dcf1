import request from 'supertest';
import { basic, testApp, expectOAuthErrorBody, type TestApp } from '../helpers/test-app';
import { chosenSecret } from '../helpers/secrets';
import type { ClientAuthFailedEvent } from '../../lib/client-auth/authenticate';
import { redisStore } from '../../lib/stores/redis/store';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { Redis } from 'ioredis';

const svc = chosenSecret('svc-chosen-secret');
const clients = [{ client_id: 'svc', client_secret: svc.hash, grant_types: ['client_credentials'], scope: 'read' }];

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

const asSvc = ({ app }: TestApp, secret: string) =>
  request(app).post('/oauth/token').type('form').set('Authorization', basic('svc', secret)).send('grant_type=client_credentials');

describe('brute-force limits in Redis', () => {
  test('two instances sharing a Redis share the counters: failures on one block the client on the other', async () => {
    const keyPrefix = `shared${Date.now()}:`;
    const bruteForce = { perPair: { points: 3 } };
    const one = testApp({ clients, bruteForce, store: redisStore({ url: redis.url, keyPrefix }) });
    const two = testApp({ clients, bruteForce, store: redisStore({ url: redis.url, keyPrefix }) });
    try {
      await asSvc(one, 'wrong');
      await asSvc(two, 'wrong');
      await asSvc(one, 'wrong');
      const blocked = await asSvc(two, svc.secret);
      expect(blocked.status).toBe(401);
      expectOAuthErrorBody(blocked.body, 'invalid_client');
    } finally {
      await Promise.all([one.oauth.close(), two.oauth.close()]);
    }
  });

  /** Two instances on one Redis (trusting X-Forwarded-For from loopback), counting the wrong secrets they check. */
  async function twoInstances(run: (one: TestApp, two: TestApp, checks: () => number) => Promise<void>) {
    const keyPrefix = `pair${Date.now()}${Math.random().toString(36).slice(2)}:`;
    let checks = 0;
    const onClientAuthFailed = (event: ClientAuthFailedEvent) => void (event.reason === 'wrong_secret' && checks++);
    const instance = () => testApp({ clients, onClientAuthFailed, store: redisStore({ url: redis.url, keyPrefix }), before: (app) => app.set('trust proxy', 'loopback') });
    const [one, two] = [instance(), instance()];
    try {
      await run(one, two, () => checks);
    } finally {
      await Promise.all([one.oauth.close(), two.oauth.close()]);
    }
  }

  test('two instances, 50 parallel wrong guesses from one address: at most points − 1 + 4 × 2 secrets checked', () =>
    twoInstances(async (one, two, checks) => {
      const guesses = await Promise.all(Array.from({ length: 50 }, (_, i) => asSvc(i % 2 === 0 ? one : two, 'wrong')));
      expect(guesses.every((res) => res.status === 401)).toBe(true);
      expect(checks()).toBeLessThanOrEqual(10 - 1 + 4 * 2);
      expect((await asSvc(one, svc.secret)).status).toBe(401);
    }));

  test('wrong guesses racing a burst of right secrets on two instances stay within the bound, and the right ones all pass', () =>
    twoInstances(async (one, two, checks) => {
      const from = (subject: TestApp, secret: string, address: string) => asSvc(subject, secret).set('X-Forwarded-For', address);
      const sent = Array.from({ length: 150 }, (_, i) => {
        const subject = i % 2 === 0 ? one : two;
        return i % 3 === 0 ? from(subject, 'wrong', '198.51.100.66') : from(subject, svc.secret, '192.0.2.1');
      });
      const statuses = (await Promise.all(sent)).map((res) => res.status);
      expect(statuses.filter((_, i) => i % 3 !== 0).every((status) => status === 200)).toBe(true);
      expect(checks()).toBeLessThanOrEqual(10 - 1 + 4 * 2);
    }));

  test('with Redis unreachable, client authentication fails closed: 503, no token even for the right secret', async () => {
    const down = testApp({ clients, store: redisStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300 }) });
    try {
      const res = await asSvc(down, svc.secret);
      expect(res.status).toBe(503);
      expectOAuthErrorBody(res.body, 'temporarily_unavailable');
    } finally {
      await down.oauth.close();
    }
  });

  /** Redis's count of each command run, scripts' inner calls included. */
  async function commandCounts(): Promise<Record<string, number>> {
    const inspector = new Redis(redis.url);
    try {
      const stats = await inspector.info('commandstats');
      return Object.fromEntries([...stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map(([, name, calls]) => [name, Number(calls)]));
    } finally {
      inspector.disconnect();
    }
  }
  const ran = (before: Record<string, number>, after: Record<string, number>) =>
    Object.fromEntries(Object.entries(after).flatMap(([name, calls]) => (calls > (before[name] ?? 0) ? [[name, calls - (before[name] ?? 0)]] : [])));

  test('a right secret from an address it succeeded from costs one script of the limits: the pair block and the known-good mark, read together', async () => {
    const subject = testApp({ clients, store: redisStore({ url: redis.url, keyPrefix: `known${Date.now()}:` }) });
    try {
      expect((await asSvc(subject, svc.secret)).status).toBe(200);
      const before = await commandCounts();
      expect((await asSvc(subject, svc.secret)).status).toBe(200);
      const commands = ran(before, await commandCounts());
      // The limits: one EVALSHA reading the pair's block (PTTL) and the mark (EXISTS); the token: its SET.
      expect(commands).toMatchObject({ evalsha: 1, pttl: 1, exists: 1 });
      expect(commands.eval).toBeUndefined();
    } finally {
      await subject.oauth.close();
    }
  });

  test('a blocked address still refuses a client that never succeeded from it, and the scripts are loaded again after SCRIPT FLUSH', async () => {
    const keyPrefix = `flush${Date.now()}:`;
    const bruteForce = { perAddress: { points: 2 } };
    const other = chosenSecret('other-chosen-secret');
    const twoClients = [...clients, { client_id: 'other', client_secret: other.hash, grant_types: ['client_credentials'], scope: 'read' }];
    const subject = testApp({ clients: twoClients, bruteForce, store: redisStore({ url: redis.url, keyPrefix }) });
    const asOther = (secret: string) => request(subject.app).post('/oauth/token').type('form').set('Authorization', basic('other', secret)).send('grant_type=client_credentials');
    try {
      expect((await asSvc(subject, svc.secret)).status).toBe(200);
      await withRedisClient((client) => client.script('FLUSH'));
      await asSvc(subject, 'wrong');
      await asSvc(subject, 'wrong');
      // The address is blocked: svc succeeded from it (known-good), `other` never did.
      expect((await asSvc(subject, svc.secret)).status).toBe(200);
      const refused = await asOther(other.secret);
      expect(refused.status).toBe(401);
      expect(refused.headers['retry-after']).toBeDefined();
    } finally {
      await subject.oauth.close();
    }
  });

  async function withRedisClient<T>(work: (client: Redis) => Promise<T>): Promise<T> {
    const client = new Redis(redis.url);
    try {
      return await work(client);
    } finally {
      client.disconnect();
    }
  }
});
