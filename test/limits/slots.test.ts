import { concurrencySlots } from '../../lib/limits/slots';
import { TemporarilyUnavailableError } from '../../lib/errors';

/** Work that runs until `finish()` is called, recording when it started. */
function gate(started: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { work: () => (started.push(name), done.then(() => name)), finish: () => finish() };
}

describe('concurrency slots of the attempt limits', () => {
  test('at most perKey run at once under a key; the others wait, first come first served, and all finish', async () => {
    const slots = concurrencySlots({ perKey: 2, maxWaiting: 10, maxWaitMs: 60_000 });
    const started: string[] = [];
    const gates = ['a', 'b', 'c', 'd'].map((name) => gate(started, name));
    const results = gates.map(({ work }) => slots.run('k', work));
    const other = gate(started, 'other key');
    const otherResult = slots.run('j', other.work);
    await Promise.resolve();
    expect(started).toEqual(['a', 'b', 'other key']);
    gates[1].finish();
    await results[1];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a', 'b', 'other key', 'c']);
    for (const { finish } of gates) finish();
    other.finish();
    await expect(Promise.all([...results, otherResult])).resolves.toEqual(['a', 'b', 'c', 'd', 'other key']);
    expect(started).toEqual(['a', 'b', 'other key', 'c', 'd']);
  });

  test('a slot is freed when the work fails', async () => {
    const slots = concurrencySlots({ perKey: 1, maxWaiting: 10, maxWaitMs: 60_000 });
    await expect(slots.run('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(slots.run('k', async () => 'next')).resolves.toBe('next');
  });

  test('a wait that would be too long, or a queue too deep, is 503 temporarily_unavailable, and the slot still works after', async () => {
    const slots = concurrencySlots({ perKey: 1, maxWaiting: 1, maxWaitMs: 50 });
    const started: string[] = [];
    const holder = gate(started, 'holder');
    const held = slots.run('k', holder.work);
    const waiting = slots.run('k', async () => 'waited');
    await expect(slots.run('k', async () => 'too deep')).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    await expect(waiting).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    holder.finish();
    await held;
    await expect(slots.run('k', async () => 'free again')).resolves.toBe('free again');
  });
});
