import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { breakableStore, startFuzzApp, type FuzzApp } from './fuzz-app';
import { send, sendBytes } from './http';
import { responseProblems } from './properties';
import { TARGETS, type FuzzCase, type FuzzTarget } from './targets';

/*
 * Property-based fuzzing of every endpoint and protected route (issue 6). `npm test` runs a
 * bounded number of cases; `npm run fuzz` runs many more. FUZZ_RUNS sets the cases per
 * target, FUZZ_SEED replays a failing run (the seed is printed on failure).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = process.env.FUZZ_SEED === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.env.FUZZ_SEED);
// Generous: a long run may take a while; the bounded run takes a few seconds.
const TIMEOUT_MS = Math.max(60_000, RUNS * 200);

let subject: FuzzApp;
let storeDown: FuzzApp;
beforeAll(async () => {
  subject = await startFuzzApp();
  const breakable = breakableStore();
  // Limits on, so that their counters are down too.
  storeDown = await startFuzzApp({ store: breakable.store, bruteForce: undefined });
  breakable.takeDown();
});
afterAll(() => Promise.all([subject.close(), storeDown.close()]));

async function fuzz(subject: FuzzApp, target: FuzzTarget, adapt = (fuzzCase: FuzzCase) => fuzzCase): Promise<{ succeeded: number }> {
  let succeeded = 0;
  const property = fc.asyncProperty(target.cases(subject.valid).map(adapt), async ({ request, expected, mustSucceed, check }) => {
    const response = await send(subject.port, request);
    const problems =
      check === undefined || response === undefined ? responseProblems(request, response, expected) : check(response, expected.storeDown ?? false);
    if (mustSucceed !== undefined) {
      if (response === undefined || !mustSucceed(response)) problems.push(`a valid request failed: ${response?.status} ${response?.text}`);
      else succeeded++;
    }
    if (subject.unexpectedErrors.length > 0) problems.push(`onError was called: ${String(subject.unexpectedErrors.splice(0)[0])}`);
    if (problems.length > 0) throw new Error(problems.join('; '));
  });
  try {
    await fc.assert(property, { numRuns: RUNS, seed: SEED });
  } catch (error) {
    throw new Error(`fuzz ${target.name} failed; replay with FUZZ_SEED=${SEED}\n${(error as Error).message}`);
  }
  return { succeeded };
}

describe('fuzzing: hostile requests never give a 5xx, a token, a pass or a malformed error', () => {
  test.each(TARGETS.map((target) => [target.name, target] as const))(
    '%s',
    async (_name, target) => {
      const { succeeded } = await fuzz(subject, target);
      // The properties were tested against requests that carried valid credentials too.
      expect(succeeded).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );

  test.each(TARGETS.map((target) => [target.name, target] as const))(
    '%s, with the store down: 503 temporarily_unavailable or a 4xx, never a success',
    async (_name, target) => {
      await fuzz(storeDown, target, ({ request, expected, check }) => ({ request, check, expected: { ...expected, carriesCredential: false, storeDown: true } }));
    },
    TIMEOUT_MS,
  );

  test('header bytes a client library would not send (controls, bare CR, NUL) are refused before the app, and the server stays up', async () => {
    const header = fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom('\0', '\r', '\x01', '\x7f', '\n '), fc.string({ maxLength: 10 }));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('Authorization', 'Content-Type', 'X-Forwarded-For'), header, async (name, [before, bad, after]) => {
        const head = `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n${name}: ${before}${bad}${after}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
        const status = await sendBytes(subject.port, Buffer.from(head, 'latin1'));
        expect(status === '' || /^HTTP\/1\.1 4\d\d /.test(status)).toBe(true);
      }),
      { numRuns: Math.min(RUNS, 200), seed: SEED },
    );
    const health = await send(subject.port, { method: 'GET', path: '/api/any', headers: { Authorization: `Bearer ${subject.valid.token}` } });
    expect(health?.status).toBe(200);
  }, TIMEOUT_MS);

  test('after the fuzzing the server still answers, and its heap has not grown without bound', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    const target = TARGETS[0];
    await fc.assert(
      fc.asyncProperty(target.cases(subject.valid), async ({ request }) => {
        await send(subject.port, request);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    gc();
    const grownMb = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    expect(grownMb).toBeLessThan(64);

    const health = await send(subject.port, { method: 'GET', path: '/api/any', headers: { Authorization: `Bearer ${subject.valid.token}` } });
    expect(health?.status).toBe(200);
  }, TIMEOUT_MS);
});
