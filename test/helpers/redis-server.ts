import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { killAndWait, spawnTracked } from './children';
import { eventually } from './eventually';

/**
 * A free TCP port on the loopback interface, chosen below Linux's ephemeral range (32768–60999).
 * A port the system hands out for `listen(0)` is also one it hands out as the local end of any
 * outgoing connection, so between this check and the child's own `listen` another test's client
 * socket could take it (CI once failed with EADDRINUSE that way). Below the range, only a
 * listener can take it, and the bind below checks for one.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    const port = FIRST_TEST_PORT + Math.floor(Math.random() * (EPHEMERAL_RANGE_START - FIRST_TEST_PORT));
    if (await canListenOn(port)) return port;
    if (attempt === 50) throw new Error('no free port below the ephemeral range after 50 tries');
  }
}

const FIRST_TEST_PORT = 20_000;
const EPHEMERAL_RANGE_START = 32_768;

function canListenOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface RedisServerOptions {
  /** More `redis-server` arguments; they override the defaults (no persistence). */
  args?: string[];
  /** Run as a Sentinel with these configuration lines (Sentinel keeps its state in a file). */
  sentinelConfig?: string[];
}

export interface RedisServer {
  port: number;
  url: string;
  /** Kills the process (SIGKILL: no chance to save); `restart()` starts it again on the same port and data directory. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server keeps its connections open but answers nothing (a hung Redis). */
  pause(): void;
  resume(): void;
  /** Kills the process and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts a private `redis-server` on a free loopback port, with its own data directory and no
 * persistence unless `args` ask for it. Never touches a Redis someone already runs: it waits
 * for an answer from its own process, and tries another port when another process took the
 * one it chose.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'eos-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;

  function args(): string[] {
    const common = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
    if (options.sentinelConfig === undefined) return [...common, '--save', '', '--appendonly', 'no', ...(options.args ?? [])];
    const configFile = path.join(dir, 'sentinel.conf');
    writeFileSync(configFile, options.sentinelConfig.join('\n') + '\n');
    return [configFile, '--sentinel', ...common];
  }

  async function start(): Promise<void> {
    const started = spawnTracked('redis-server', args(), { stdio: 'ignore' });
    child = started;
    await waitForOwnAnswer(port, started);
  }

  function kill(): Promise<void> {
    const stopping = child;
    child = undefined;
    return killAndWait(stopping);
  }

  async function stop(): Promise<void> {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  }

  try {
    for (let attempt = 1; ; attempt += 1) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (error) {
        await kill();
        if (attempt === 3) throw error;
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    stop,
  };
}

/** Stops every server, even when some of them failed to start. */
export async function stopAll(servers: readonly (RedisServer | undefined)[]): Promise<void> {
  await Promise.all(servers.map((server) => server?.stop()));
}

/** Runs `work` with a fresh client of the server on `port`, and disconnects it. */
export async function withRedis<T>(port: number, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return await work(client);
  } finally {
    // A client whose connection failed has ended; disconnecting it would arm a 2 s timer for nothing.
    if (client.status !== 'end') client.disconnect();
  }
}

/** Resolves once `child` itself answers on `port`; rejects when it exits first (its port was taken). */
async function waitForOwnAnswer(port: number, child: ChildProcess): Promise<void> {
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const itself = new RegExp(`^process_id:${child.pid}\\r?$`, 'm');
  await eventually(`redis-server to answer on port ${port}`, async () => exited() || withRedis(port, async (client) => itself.test(await client.info('server'))), 10_000);
  if (exited()) throw new Error(`redis-server exited before answering on port ${port}`);
}
