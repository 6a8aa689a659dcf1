import type { Clock } from '../clock';
import { memoryStore } from './memory/store';
import type { Store } from './store';

/** Longest `jti` remembered: a bound on the id bounds each replay record (RFC 9449 §4.2, RFC 7523 §3 item 7). */
const MAX_JTI_LENGTH = 256;

/** A `jti` (RFC 7519 §4.1.7) fit to be a replay record's id: a non-empty string of at most 256 characters. */
export function usableJti(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_JTI_LENGTH;
}

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
