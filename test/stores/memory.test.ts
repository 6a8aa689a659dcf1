import { memoryStore } from '../../lib/stores/memory/store';
import { storeContract } from './store-contract';

storeContract(
  'memory',
  async () => {
    let now = 1_700_000_000;
    const store = memoryStore({ clock: () => now });
    return {
      store,
      now: () => now,
      advance: async (seconds) => {
        now += seconds;
      },
    };
  },
  async ({ store }) => store.close(),
);

describe('memoryStore options', () => {
  // Node runs a timer of 0, a negative, NaN or over 2^31-1 ms every millisecond.
  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, 3_000_000, '60'])('sweepIntervalSeconds %p is refused, naming the option', (value) => {
    expect(() => memoryStore({ sweepIntervalSeconds: value as number })).toThrow(/memoryStore: option `sweepIntervalSeconds` must be/);
  });

  test.each([0.5, 60, 86_400])('sweepIntervalSeconds %p is accepted', async (value) => {
    await memoryStore({ sweepIntervalSeconds: value }).close();
  });
});
