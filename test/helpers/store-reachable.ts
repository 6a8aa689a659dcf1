import type { Store } from '../../lib/stores/store';
import { eventually } from './eventually';

/**
 * Waits until the store answers. A store waits for its first connection only up to its time
 * limit, which a short test limit on a busy machine can cut short.
 */
export function storeReachable(store: Store): Promise<void> {
  return eventually('the store to reach Redis', async () => (await store.ping()) === undefined);
}
