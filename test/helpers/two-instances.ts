import type { Express } from 'express';
import type { Response, Test } from 'supertest';
import type { Clock } from '../../lib/clock';
import type { Store } from '../../lib/stores/store';
import { uniqueKeyPrefix, type StoreMaker } from './stores';

/**
 * Two instances of one server on one Redis, as behind a load balancer: `instance` builds the
 * server's app on the store it is given; each instance has its own Redis store (its own
 * connection) with one key prefix, so they share every record. The stores come from `stores`
 * (`useStores`), which closes them after the file.
 */
export function twoInstances(stores: StoreMaker, instance: (store: (clock: Clock) => Store) => Express): [Express, Express] {
  const keyPrefix = uniqueKeyPrefix();
  const one = () => instance((clock) => stores('redis', clock, keyPrefix));
  return [one(), one()];
}

/** `send` made `times` times at once, alternately to each instance: a replay race across instances. */
export function sendAtOnce(instances: readonly [Express, Express], times: number, send: (app: Express) => Test): Promise<Response[]> {
  return Promise.all(Array.from({ length: times }, (_, i) => send(instances[i % 2])));
}
