import type autocannon from 'autocannon';

/**
 * Material signed by the runner before a phase, never during it (signing under load would
 * measure autocannon's process): `count` results of `sign`, in batches that keep many
 * signatures in flight (WebCrypto runs them off the main thread) without one promise per item at once.
 */
export async function signInBatches(count: number, sign: () => Promise<string>): Promise<string[]> {
  const out: string[] = [];
  while (out.length < count) out.push(...(await Promise.all(Array.from({ length: Math.min(256, count - out.length) }, sign))));
  return out;
}

/**
 * Every request of the run takes the next pre-signed item, placed by `apply`; the run is bounded
 * by their number (its `maxOverallRequests`). Past the last, `apply` gets undefined.
 */
export function oneEachRequests(items: string[], apply: (request: autocannon.Request, item: string | undefined) => autocannon.Request): autocannon.Request[] {
  let next = 0;
  return [{ setupRequest: (request) => apply(request, items[next++]) }];
}
