import { memoryStore } from '../../lib/stores/memory';
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
