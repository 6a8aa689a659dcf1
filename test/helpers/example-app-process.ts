import path from 'node:path';
import { killAndWait, spawnTracked } from './children';
import { freePort } from './redis-server';

export interface ExampleAppProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');

/**
 * Runs `node example-app/server.js` as a user would (it needs `npm run build` first, which
 * `npm test` does), on a free loopback port, and resolves once it says it listens.
 */
export async function startExampleApp(env: Record<string, string>): Promise<ExampleAppProcess> {
  const port = await freePort();
  const child = spawnTracked(process.execPath, ['example-app/server.js'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the example-app did not start in time: ${output}`)), 15_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the example-app exited with ${code}: ${output}`));
      });
    });
  } catch (error) {
    await killAndWait(child);
    throw error;
  }
  return { url: `http://127.0.0.1:${port}`, stop: () => killAndWait(child) };
}
