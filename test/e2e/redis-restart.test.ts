import type { Express } from 'express';
import { redisStore } from '../../lib/stores/redis/store';
import { generateTokenValue } from '../../lib/tokens/token-value';
import { eventually } from '../helpers/eventually';
import { callApi, issueServiceToken, refreshRequest, serviceTokenRequest, spaGrant, flowOptions, testApp } from '../helpers/test-app';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { SLACK_MS } from '../helpers/slack';
import { storeReachable } from '../helpers/store-reachable';

const LIMIT_MS = 500;

type Kind = 'valid token' | 'bad token' | 'token request';
interface Sample {
  kind: Kind;
  status: number;
  error?: string;
  ms: number;
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

let redis: RedisServer;
beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  // appendfsync always: what Redis acknowledged survives SIGKILL (README, "Running in production").
  redis = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await redis.stop();
});

/** One request of each kind, at once; each is timed. */
async function round(app: Express, token: string): Promise<Sample[]> {
  const timed = async (kind: Kind, send: () => PromiseLike<{ status: number; body: { error?: string } }>): Promise<Sample> => {
    const started = Date.now();
    const { status, body } = await send();
    return { kind, status, error: body?.error, ms: Date.now() - started };
  };
  return Promise.all([
    timed('valid token', () => callApi(app, token)),
    timed('bad token', () => callApi(app, generateTokenValue())),
    timed('token request', () => serviceTokenRequest(app)),
  ]);
}

/** Rounds of traffic, one after the other, until stopped (at most `maxRounds`). */
function traffic(app: Express, token: string, samples: Sample[], maxRounds = 2000) {
  let stopped = false;
  const done = (async () => {
    for (let i = 0; i < maxRounds && !stopped; i += 1) samples.push(...(await round(app, token)));
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

test('redis-server killed and restarted mid-traffic: 503 while down, recovery after, no bad token accepted, no request over the limit', async () => {
  const store = redisStore({ url: redis.url, commandTimeoutMs: LIMIT_MS });
  const { app, oauth } = testApp(flowOptions(() => store));
  const samples: Sample[] = [];
  let running: ReturnType<typeof traffic> | undefined;
  try {
    await storeReachable(store);
    const token = await issueServiceToken(app);
    const grant = await spaGrant(app);
    expect(await oauth.health()).toEqual({ ok: true });
    running = traffic(app, token, samples);
    const count = (kind: Kind, status: number, from = 0) => samples.slice(from).filter((s) => s.kind === kind && s.status === status).length;

    await eventually('traffic to be served', async () => count('valid token', 200) >= 3);
    await redis.kill();
    const killedAt = samples.length;
    await eventually('503s while Redis is down', async () => count('valid token', 503, killedAt) >= 3);

    // While down, every kind of request is refused as temporarily unavailable.
    for (const sample of await round(app, token)) {
      expect(sample).toMatchObject({ status: 503, error: 'temporarily_unavailable' });
    }
    expect(await oauth.health()).toEqual({ ok: false });

    await redis.restart();
    const restartedAt = samples.length;
    await eventually('service to resume by itself', async () => count('valid token', 200, restartedAt) >= 3 && count('token request', 200, restartedAt) >= 1);
    await running.stop();
    expect(await oauth.health()).toEqual({ ok: true });
    // The refresh token outlived the restart too (appendfsync always).
    expect((await refreshRequest(app, grant.refresh_token)).status).toBe(200);

    const allowed: Record<Kind, number[]> = { 'valid token': [200, 503], 'bad token': [401, 503], 'token request': [200, 503] };
    expect(samples.filter((s) => !allowed[s.kind].includes(s.status))).toEqual([]);
    expect(samples.filter((s) => s.status === 503 && s.error !== 'temporarily_unavailable')).toEqual([]);
    expect(samples.filter((s) => s.ms > LIMIT_MS + SLACK_MS)).toEqual([]);
    expect(unhandled).toEqual([]);
  } finally {
    // A failed step must not leave the traffic running on after the test.
    await running?.stop();
    await store.close();
  }
}, 60_000);
