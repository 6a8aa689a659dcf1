import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from './redis-server';

export interface RunningExampleApp {
  origin: string;
  issuer: string;
  stop(): Promise<void>;
}

/**
 * Starts `node example-app/server.js` (which uses the built dist/) on a free loopback port and
 * resolves once it prints the line saying where it listens.
 */
export async function startExampleApp(env: Record<string, string> = {}): Promise<RunningExampleApp> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(__dirname, '../../example-app/server.js')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`example-app exited with ${code}: ${output}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    origin: `http://127.0.0.1:${port}`,
    issuer: env.ISSUER ?? `http://localhost:${port}/oauth`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
