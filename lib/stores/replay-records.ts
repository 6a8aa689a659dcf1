import type { Clock } from '../clock';
import { memoryStore } from './memory/store';
import type { Store } from './store';

/** `Store.rememberOnce` as a plain function: `false` when `key` was already remembered. */
export type RememberOnce = (key: string, expiresAt: number) => Promise<boolean>;

/**
 * The replay records (design.md "Replay records": DPoP proofs, client assertions, JWT bearer
 * assertions): in `store` when it keeps them (`rememberOnce`, atomic and shared by every
 * instance using it), else in this process's memory (right for one instance only), which
 * `close` releases.
 */
export function replayRecords(store: Store | undefined, clock: Clock): { rememberOnce: RememberOnce; close(): Promise<void> } {
  const own = store?.rememberOnce === undefined ? memoryStore({ clock }) : undefined;
  const records = own ?? (store as Store);
  const rememberOnce: RememberOnce = (key, expiresAt) => (records.rememberOnce as NonNullable<Store['rememberOnce']>).call(records, key, expiresAt);
  return { rememberOnce, close: async () => own?.close() };
}
