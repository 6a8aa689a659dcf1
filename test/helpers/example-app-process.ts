import path from 'node:path';
import { killAndWait, spawnTracked } from './children';

export interface ExampleAppProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');

/**
 * Runs `node example-app/server.js` as a user would (it needs `npm run build` first, which
 * `npm test` does), with PORT=0 so that the system picks a free loopback port (no race with
 * other processes), and resolves with the address it prints once it listens.
 */
export async function startExampleApp(env: Record<string, string>): Promise<ExampleAppProcess> {
  const child = spawnTracked(process.execPath, ['example-app/server.js'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the example-app did not start in time: ${output}`)), 15_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (listening !== null) {
          clearTimeout(timer);
          resolve(listening[1]);
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
  return { url, stop: () => killAndWait(child) };
}
