import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { spawnTracked } from './children';
import { started } from './started';
import { freePort, startRedisServer, type RedisServer } from './redis-server';

const SERVER = path.join(__dirname, '..', '..', 'example-app', 'server.js');

export interface RunningExampleApp {
  url: string;
  /** The one line it printed on start-up. */
  banner: string;
  stop(): Promise<void>;
}

/**
 * Starts `node example-app/server.js` (the built package must exist) and waits for its banner;
 * `url` is the address the banner names, so PORT=0 (the system picks a port) works too.
 */
export async function startExampleApp(env: Record<string, string> = {}): Promise<RunningExampleApp> {
  const port = env.PORT === undefined ? await freePort() : Number(env.PORT);
  const child = spawnTracked(process.execPath, [SERVER], { env: { ...process.env, PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const banner = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('\n')) resolve(output.trim());
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`example-app exited with ${code}: ${output}`)));
  });
  const url = /listening on (http:\/\/\S+)/.exec(banner)?.[1] ?? `http://127.0.0.1:${port}`;
  return { url, banner, stop: () => stopChild(child) };
}

export interface ExampleAppOnLoopback {
  readonly app: RunningExampleApp;
  /** Its ISSUER, `http://127.0.0.1:<port>/oauth`: the address clients reach it at. */
  readonly issuer: string;
}

/** For the tests of one file: one example-app on a free loopback port (with `env` besides PORT and ISSUER), started before them and stopped after. */
export function exampleAppOnLoopback(env: Record<string, string> = {}): ExampleAppOnLoopback {
  let app: RunningExampleApp | undefined;
  let issuer: string | undefined;
  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}/oauth`;
    app = await startExampleApp({ PORT: String(port), ISSUER: issuer, ...env });
  });
  afterAll(() => app?.stop());
  return {
    get app() {
      return started(app, 'example-app');
    },
    get issuer() {
      return started(issuer, 'example-app');
    },
  };
}

export interface ExampleAppsOnOneRedis {
  /** The two instances, A and B. */
  readonly apps: readonly [RunningExampleApp, RunningExampleApp];
  readonly redis: RedisServer;
}

/**
 * For the tests of one file: starts a private redis-server and two example-app processes that
 * share it (with `env` besides PORT and REDIS_URL) before them, and stops all three after them,
 * also when some failed to start.
 */
export function exampleAppsOnOneRedis(env: Record<string, string> = {}): ExampleAppsOnOneRedis {
  let redis: RedisServer | undefined;
  const apps: RunningExampleApp[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
    const appEnv = { PORT: '0', REDIS_URL: redis.url, ...env };
    const results = await Promise.allSettled([startExampleApp(appEnv), startExampleApp(appEnv)]);
    for (const result of results) if (result.status === 'fulfilled') apps.push(result.value);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }, 30_000);
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await redis?.stop();
  });
  return {
    get apps() {
      return [started(apps[0], 'example-app A'), started(apps[1], 'example-app B')] as const;
    },
    get redis() {
      return started(redis, 'redis-server');
    },
  };
}

/** Runs the example-app expecting it to refuse to start; resolves with its exit code and output. */
export function runExampleAppToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
