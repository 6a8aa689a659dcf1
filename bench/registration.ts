/**
 * Issue 15: dynamic client registration (RFC 7591) under load. For each store, ours with open
 * registration (its per-address limit and maxClients raised above the run) receives
 * REGISTRATIONS `POST /oauth/register` requests from autocannon (-c 32), each a valid JSON body.
 * Reported: requests/s (201 answers), server CPU µs per registration, RSS before, after, and
 * after a forced GC, and with Redis the memory Redis uses and the keys it holds: registered
 * clients are kept until deleted, at most `registration.maxClients`, and nothing else may grow
 * with them.
 *
 * `npm run bench:registration`, or `npm run bench` with BENCH_ONLY including `registration`.
 * BENCH_QUICK=1: 1,000 registrations. BENCH_STORES=redis or memory for one store only.
 */
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { generateClientSecret } from 'express-oauth2-server';
import { freePort, startRedisServer } from '../test/helpers/redis-server';
import { DEFAULT_JWT_ALGORITHM, ISSUER_PATH, REDIRECT_URI, SCOPE, type StoreKind } from './common';
import { pinToLoadCore, startServer } from './server-process';

/** The issue's count: RSS is reported after this many registrations. */
const REGISTRATIONS = 10_000;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const REGISTER_PATH = `${ISSUER_PATH}/register`;
/** RFC 7591 §2: a web client of the code flow, authenticated with a generated secret (client_secret_basic, the default). */
const REGISTRATION_BODY = JSON.stringify({ redirect_uris: [REDIRECT_URI], client_name: 'bench registered client', scope: SCOPE });

interface RegistrationResult {
  store: StoreKind;
  registrations: number;
  rps: number;
  cpuPerRequest: number;
  unexpected: number;
  rssBeforeMB: number;
  rssAfterMB: number;
  rssAfterGcMB: number;
  /** V8 heap used after a forced GC, before and after: what the process keeps (RSS also holds what the heap grew to and did not give back). */
  heapBeforeMB: number;
  heapAfterGcMB: number;
  /** Redis only: `used_memory` after the run, and the keys it holds. */
  redisUsedMB?: number;
  redisKeys?: number;
}

const MB = 1024 * 1024;

async function measureStore(store: StoreKind, count: number, redisUrl: string, admin: Redis): Promise<RegistrationResult> {
  await admin.flushall();
  const port = await freePort();
  const secret = generateClientSecret();
  const server = await startServer(
    { target: 'ours-registration', store, redisUrl, port, workers: 1, clientSecret: secret.secret, clientSecretHash: secret.hash, jwtAlgorithm: DEFAULT_JWT_ALGORITHM, jwtIssuer: 'ours' },
    ['--expose-gc'],
  );
  try {
    const before = await server.stats(true);
    const result = await autocannon({
      url: `http://127.0.0.1:${port}${REGISTER_PATH}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: REGISTRATION_BODY,
      connections: CONNECTIONS,
      amount: count,
      timeout: 10,
      sampleInt: 100,
    });
    const after = await server.stats();
    const afterGc = await server.stats(true);
    const statusCounts = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
    const created = statusCounts['201']?.count ?? 0;
    const total = Object.values(statusCounts).reduce((sum, s) => sum + s.count, 0);
    const redisFacts =
      store === 'redis'
        ? { redisUsedMB: Number(/^used_memory:(\d+)/m.exec(await admin.info('memory'))?.[1] ?? NaN) / MB, redisKeys: await admin.dbsize() }
        : {};
    return {
      store,
      registrations: created,
      rps: created / result.duration,
      cpuPerRequest: (after.cpuMicros - before.cpuMicros) / Math.max(1, total),
      unexpected: total - created + result.errors + result.timeouts,
      rssBeforeMB: before.rss / MB,
      rssAfterMB: after.rss / MB,
      rssAfterGcMB: afterGc.rss / MB,
      heapBeforeMB: before.heapUsed / MB,
      heapAfterGcMB: afterGc.heapUsed / MB,
      ...redisFacts,
    };
  } finally {
    await server.stop();
  }
}

function render(results: RegistrationResult[], count: number): string[] {
  const lines = [`Registration (POST ${REGISTER_PATH}, RFC 7591, open; ${count} registrations, autocannon -c ${CONNECTIONS}):`];
  for (const r of results) {
    const redis = r.redisUsedMB === undefined ? '' : `; Redis used_memory ${r.redisUsedMB.toFixed(1)} MB, ${r.redisKeys} keys`;
    lines.push(
      `  ${r.store}: ${Math.round(r.rps)} req/s, ${r.cpuPerRequest.toFixed(0)} CPU µs/req, ${r.registrations} created, ${r.unexpected} unexpected; ` +
        `RSS ${r.rssBeforeMB.toFixed(0)} MB before, ${r.rssAfterMB.toFixed(0)} MB after, ${r.rssAfterGcMB.toFixed(0)} MB after a forced GC; ` +
        `heap used after GC ${r.heapBeforeMB.toFixed(1)} → ${r.heapAfterGcMB.toFixed(1)} MB${redis}`,
    );
  }
  lines.push('Targets of issue 15 (registration):');
  for (const r of results) {
    const heapPerClientKB = ((r.heapAfterGcMB - r.heapBeforeMB) * 1024) / Math.max(1, r.registrations);
    lines.push(
      `  registration/${r.store}: ${Math.round(r.rps)} req/s; after ${r.registrations} registrations RSS ${r.rssAfterGcMB.toFixed(0)} MB (after GC), ` +
        `heap +${(r.heapAfterGcMB - r.heapBeforeMB).toFixed(1)} MB = ${heapPerClientKB.toFixed(2)} KB per registered client (kept until deleted, at most registration.maxClients); ` +
        `non-2xx ${r.unexpected} (goal 0: ${r.unexpected === 0 ? 'met' : 'NOT met'})`,
    );
  }
  return lines;
}

/** Runs the registration bench on its own Redis (never another one) and prints its block. */
export async function runRegistrationBench(options: { quick: boolean }): Promise<void> {
  const count = options.quick ? REGISTRATIONS / 10 : REGISTRATIONS;
  const stores = (process.env.BENCH_STORES?.split(',') ?? ['redis', 'memory']).filter((s): s is StoreKind => s === 'redis' || s === 'memory');
  pinToLoadCore();
  const redis = await startRedisServer();
  const admin = new Redis(redis.url);
  const results: RegistrationResult[] = [];
  try {
    for (const store of stores) {
      const result = await measureStore(store, count, redis.url, admin);
      console.log(`registration/${store}: ${Math.round(result.rps)} req/s, ${result.registrations} created`);
      results.push(result);
    }
  } finally {
    admin.disconnect();
    await redis.stop();
  }
  console.log(`\n${render(results, count).join('\n')}\n`);
}

if (require.main === module) {
  runRegistrationBench({ quick: process.env.BENCH_QUICK === '1' || process.argv.includes('--quick') }).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
