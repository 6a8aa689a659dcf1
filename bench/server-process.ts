import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { SERVER_NODE_FLAGS, type ServerSettings } from './common';

/** RSS and V8 heap used in bytes, CPU time (user + system) in µs; summed over a cluster's processes. */
export interface ServerStats {
  rss: number;
  cpuMicros: number;
  heapUsed: number;
}

/** A server under test, in its own process (or node:cluster of processes). */
export interface RunningServer {
  /** The process that holds the listening socket (a cluster's primary). */
  readonly pid: number;
  /** With `gc`, after a forced collection (a bench server started with --expose-gc; the example-app cannot). */
  stats(gc?: boolean): Promise<ServerStats>;
  stop(): Promise<void>;
}

const TASKSET = '/usr/bin/taskset';
/**
 * Issue 17's method: the server under test alone on core 1; the runner (autocannon) and
 * redis-server on core 0, so that the load generator never takes the server's CPU. On when the
 * machine has two cores or more and taskset exists; BENCH_PIN=0 turns it off. A cluster of two
 * processes is left on every core: pinned to one, it would measure nothing a cluster is for.
 */
export const pinning = process.env.BENCH_PIN !== '0' && cpus().length >= 2 && existsSync(TASKSET);
const SERVER_CORE = '1';
const LOAD_CORE = '0';

/** Pins this process (every thread) to the load core; processes it starts afterwards (redis-server) inherit it. */
export function pinToLoadCore(): void {
  if (pinning) execFileSync(TASKSET, ['-a', '-p', '-c', LOAD_CORE, String(process.pid)], { stdio: 'ignore' });
}

/** `node <nodeArgs>`, under `taskset -c 1` when the server is pinned. */
function serverCommand(nodeArgs: string[], pinned: boolean): { file: string; args: string[] } {
  return pinned ? { file: TASKSET, args: ['-c', SERVER_CORE, process.execPath, ...nodeArgs] } : { file: process.execPath, args: nodeArgs };
}

/** Starts bench/server.ts for `settings` in a child process (with `extraNodeFlags` beside the usual ones) and waits until it listens. */
export async function startServer(settings: ServerSettings, extraNodeFlags: string[] = []): Promise<RunningServer> {
  const { file, args } = serverCommand([...SERVER_NODE_FLAGS, ...extraNodeFlags], pinning && settings.workers === 1);
  // fork() runs `execPath execArgv… module`: taskset execs node, which keeps the IPC channel.
  const child = fork(join(__dirname, 'server.js'), [], {
    execPath: file,
    execArgv: args,
    env: { ...process.env, BENCH_SERVER: JSON.stringify(settings), NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${settings.target} did not start`)), 30_000);
    child.once('message', (message: { type?: string; message?: string }) => {
      clearTimeout(timer);
      if (message.type === 'failed') reject(new Error(`${settings.target} could not start: ${message.message}`));
      else resolve();
    });
    child.once('exit', (code) => reject(new Error(`${settings.target} exited with ${code}`)));
  });
  return { pid: child.pid as number, stats: (gc = false) => statsOverIpc(child, gc), stop: () => stopChild(child) };
}

function statsOverIpc(child: ChildProcess, gc: boolean): Promise<ServerStats> {
  return new Promise((resolve) => {
    child.once('message', (message: Partial<ServerStats>) => resolve({ rss: message.rss ?? 0, cpuMicros: message.cpuMicros ?? 0, heapUsed: message.heapUsed ?? 0 }));
    child.send({ type: 'stats', gc });
  });
}

const EXAMPLE_APP = join(__dirname, '..', '..', 'example-app', 'server.js');

/**
 * The example-app exactly as `npm start` runs it once built: `node example-app/server.js`, no
 * node flags, its own clients.json, configured by the environment only (`REDIS_URL` for the
 * Redis store). Resolves when it prints its start-up line. Its figures come from /proc, as for
 * any process: it knows nothing of the bench.
 */
export async function startExampleApp(env: Record<string, string>, extraNodeFlags: string[] = []): Promise<RunningServer> {
  const { file, args } = serverCommand([...extraNodeFlags, EXAMPLE_APP], pinning);
  const child = spawn(file, args, { env: { ...process.env, NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the example-app did not start')), 30_000);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('listening on')) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`the example-app exited with ${code}: ${output}`)));
  });
  child.stdout?.resume();
  const pid = child.pid as number;
  return { pid, stats: async () => procStats(pid), stop: () => stopChild(child) };
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** proc(5): VmRSS of /proc/<pid>/status; utime + stime (fields 14 and 15) of /proc/<pid>/stat. Heap used is not visible from outside. */
function procStats(pid: number): ServerStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rss: rssKb * 1024, cpuMicros: (ticks / CLOCK_TICKS_PER_SECOND) * 1e6, heapUsed: NaN };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
