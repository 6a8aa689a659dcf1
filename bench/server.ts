/**
 * One benchmarked server, alone in this child process (or, with workers > 1, in a node:cluster
 * of that many processes sharing the port). The runner starts it, waits for "ready", asks for
 * "rss" after the run and kills it.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import type { BuiltApp, ServerSettings } from './common';

const settings = JSON.parse(process.env.BENCH_SERVER ?? '{}') as ServerSettings;

const targets: Record<string, (s: ServerSettings) => Promise<BuiltApp>> = {
  ours: async (s) => (await import('./targets/ours.js')).build(s),
  'ours-cache': async (s) => (await import('./targets/ours.js')).build(s, { cache: true }),
  'ours-chosen-secret': async (s) => (await import('./targets/ours.js')).build(s, { chosenSecret: true }),
  oauth2orize: async (s) => (await import('./targets/oauth2orize.js')).build(s),
  'node-oauth': async (s) => (await import('./targets/node-oauth.js')).build(s),
  'oidc-provider': async (s) => (await import('./targets/oidc-provider.js')).build(s),
  'express-json': async () => (await import('./targets/ceilings.js')).buildJson(),
  'express-redis-get': async (s) => (await import('./targets/ceilings.js')).buildRedisGet(s),
  'express-redis-set': async (s) => (await import('./targets/ceilings.js')).buildRedisSet(s),
  // JWT access tokens (issue 14): the jwt-token and jwt-protected scenarios.
  'ours-jwt': async (s) => (await import('./targets/ours.js')).build(s, { jwt: true }),
  'ours-jwt-cache': async (s) => (await import('./targets/ours.js')).build(s, { jwt: true, cache: true }),
  'oidc-provider-jwt': async (s) => (await import('./targets/oidc-provider.js')).build(s, { jwt: true }),
  'express-jose-sign': async (s) => (await import('./targets/jose-issuer.js')).build(s),
  'jwt-bearer': async (s) => (await import('./targets/jwt-bearer.js')).build(s),
  'resource-server': async (s) => (await import('./targets/resource-server.js')).build(s, { introspection: false }),
  // DPoP (issue 16): the dpop-token and dpop-protected scenarios; ours and the jose issuer take proofs as they are.
  'ours-dpop': async (s) => (await import('./targets/ours.js')).build(s, { jwt: true }),
  'ours-dpop-cache': async (s) => (await import('./targets/ours.js')).build(s, { jwt: true, cache: true }),
  'oidc-provider-dpop': async (s) => (await import('./targets/oidc-provider.js')).build(s, { jwt: true, dpop: true }),
  // private_key_jwt and registration (issue 15): the pkjwt-token scenario and bench/registration.ts.
  'ours-pkjwt': async (s) => (await import('./targets/ours.js')).build(s, { privateKeyJwt: true }),
  'oidc-provider-pkjwt': async (s) => (await import('./targets/oidc-provider.js')).build(s, { privateKeyJwt: true }),
  'ours-registration': async (s) => (await import('./targets/ours.js')).build(s, { openRegistration: true }),
  'resource-server-introspection': async (s) => (await import('./targets/resource-server.js')).build(s, { introspection: true }),
};

type Message = { type: 'stats'; gc?: boolean } | { type: 'stats-reply'; rss: number; cpuMicros: number; heapUsed: number } | { type: 'ready' } | { type: 'failed'; message: string };

type Stats = { rss: number; cpuMicros: number; heapUsed: number };

function ownStats(): Stats {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return { rss: memory.rss, cpuMicros: cpu.user + cpu.system, heapUsed: memory.heapUsed };
}

async function serve(): Promise<void> {
  const make = targets[settings.target];
  if (make === undefined) throw new Error(`unknown target ${settings.target}`);
  const app = await make(settings);
  const server = createServer(app.handler);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(settings.port, '127.0.0.1', resolve));
  // A clean exit, so that --cpu-prof can write its profile.
  process.on('SIGTERM', () => process.exit(0));
  process.send?.({ type: 'ready' } satisfies Message);
  process.on('message', (message: Message) => {
    if (message.type !== 'stats') return;
    // A forced collection first, when asked and the process runs with --expose-gc (bench/registration.ts).
    if (message.gc === true) globalThis.gc?.();
    process.send?.({ type: 'stats-reply', ...ownStats() } satisfies Message);
  });
}

/** The primary only forks, and sums the workers' RSS and CPU time (its own included). */
async function primary(): Promise<void> {
  const workers = Array.from({ length: settings.workers }, () => cluster.fork());
  await Promise.all(workers.map((worker) => new Promise<void>((resolve) => worker.once('message', () => resolve()))));
  process.on('SIGTERM', () => {
    for (const worker of workers) worker.process.kill('SIGKILL');
    process.exit(0);
  });
  process.send?.({ type: 'ready' } satisfies Message);
  process.on('message', async (message: Message) => {
    if (message.type !== 'stats') return;
    const replies = await Promise.all(
      workers.map(
        (worker) =>
          new Promise<Stats>((resolve) => {
            worker.once('message', (reply: Message) => resolve(reply.type === 'stats-reply' ? reply : { rss: 0, cpuMicros: 0, heapUsed: 0 }));
            worker.send({ type: 'stats' } satisfies Message);
          }),
      ),
    );
    const sum = replies.reduce((a, b) => ({ rss: a.rss + b.rss, cpuMicros: a.cpuMicros + b.cpuMicros, heapUsed: a.heapUsed + b.heapUsed }), ownStats());
    process.send?.({ type: 'stats-reply', ...sum } satisfies Message);
  });
}

const run = settings.workers > 1 && cluster.isPrimary ? primary() : serve();
run.catch((error: unknown) => {
  console.error(error);
  // The runner names the reason when a target cannot be built (a feature not on this branch yet).
  process.send?.({ type: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies Message, () => process.exit(1));
  if (process.send === undefined) process.exit(1);
});
