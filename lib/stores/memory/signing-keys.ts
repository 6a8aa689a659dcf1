import type { Clock } from '../../clock';
import type { SigningKeyStore, StoredSigningKey } from '../store';

/**
 * The generated signing keys of a memory store: they never leave this process. Each operation
 * runs without yielding, so a compare-and-set is atomic.
 */
export function memorySigningKeyStore(clock: Clock): SigningKeyStore {
  let held: { version: number; keys: readonly StoredSigningKey[]; forgetAt: number } | undefined;
  const current = () => {
    if (held !== undefined && held.forgetAt <= clock()) held = undefined;
    return held;
  };
  return {
    inProcess: true,
    async read() {
      const set = current();
      return { version: set?.version ?? 0, keys: structuredClone([...(set?.keys ?? [])]) };
    },
    async replace(expectedVersion, keys, ttlSeconds) {
      const version = current()?.version ?? 0;
      if (version !== expectedVersion) return false;
      held = { version: version + 1, keys: structuredClone([...keys]), forgetAt: clock() + Math.max(1, ttlSeconds) };
      return true;
    },
  };
}
