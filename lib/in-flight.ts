/**
 * One piece of work in flight per key: callers asking for a key while its work runs share its
 * promise (its answer or its failure), and the next caller after it settles starts anew.
 */
export function sharedInFlight<K, V>(): (key: K, start: () => Promise<V>) => Promise<V> {
  const running = new Map<K, Promise<V>>();
  return (key, start) => {
    let pending = running.get(key);
    if (pending === undefined) {
      pending = start().finally(() => running.delete(key));
      running.set(key, pending);
    }
    return pending;
  };
}
