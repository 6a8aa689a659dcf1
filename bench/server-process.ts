import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { SERVER_NODE_FLAGS, type ServerSettings } from './common';

/** Starts bench/server.ts for `settings` in a child process (with `extraNodeFlags` beside the usual ones) and waits until it listens. */
export function startServer(settings: ServerSettings, extraNodeFlags: string[] = []): Promise<ChildProcess> {
  const child = fork(join(__dirname, 'server.js'), [], {
    env: { ...process.env, BENCH_SERVER: JSON.stringify(settings), NODE_ENV: 'production' },
    execArgv: [...SERVER_NODE_FLAGS, ...extraNodeFlags],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${settings.target} did not start`)), 30_000);
    child.once('message', (message: { type?: string; message?: string }) => {
      clearTimeout(timer);
      if (message.type === 'failed') reject(new Error(`${settings.target} could not start: ${message.message}`));
      else resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${settings.target} exited with ${code}`)));
  });
}

/**
 * RSS, V8 heap used and CPU time (user + system, µs) of the server, summed over a cluster's
 * processes; with `gc`, after a forced collection (a server started with --expose-gc).
 */
export function statsOf(child: ChildProcess, gc = false): Promise<{ rss: number; cpuMicros: number; heapUsed: number }> {
  return new Promise((resolve) => {
    child.once('message', (message: { rss?: number; cpuMicros?: number; heapUsed?: number }) =>
      resolve({ rss: message.rss ?? 0, cpuMicros: message.cpuMicros ?? 0, heapUsed: message.heapUsed ?? 0 }),
    );
    child.send({ type: 'stats', gc });
  });
}

export function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
