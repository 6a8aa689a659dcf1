import { Redis } from 'ioredis';
import { eventually } from './eventually';
import { startRedisServer, stopAll, withRedis, type RedisServer } from './redis-server';

export interface SentinelSetUp {
  /** The master group name Sentinel monitors. */
  name: string;
  primary: RedisServer;
  replica: RedisServer;
  sentinel: RedisServer;
  /** Addresses for `new Redis({ sentinels, name })`. */
  sentinels: { host: string; port: number }[];
  /** The address Sentinel names as primary now. */
  primaryPort(): Promise<number>;
  stop(): Promise<void>;
}

const NAME = 'eos-primary';

/**
 * One primary, one replica and one Sentinel (quorum 1) on loopback ports. The Sentinel calls
 * the primary down after one second without answers, so that a failover takes a few seconds.
 */
export async function startSentinelSetUp(): Promise<SentinelSetUp> {
  const servers: RedisServer[] = [];
  try {
    // No 5-second wait for more replicas before the first full sync.
    const primary = await startRedisServer({ args: ['--repl-diskless-sync-delay', '0'] });
    servers.push(primary);
    const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    servers.push(replica);
    await waitForReplicationLink(replica.port);
    const sentinel = await startRedisServer({
      sentinelConfig: [
        `sentinel monitor ${NAME} 127.0.0.1 ${primary.port} 1`,
        `sentinel down-after-milliseconds ${NAME} 1000`,
        `sentinel failover-timeout ${NAME} 10000`,
        `sentinel parallel-syncs ${NAME} 1`,
      ],
    });
    servers.push(sentinel);
    return {
      name: NAME,
      primary,
      replica,
      sentinel,
      sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
      primaryPort: () =>
        withRedis(sentinel.port, async (client) => {
          const [, port] = (await client.call('SENTINEL', 'get-master-addr-by-name', NAME)) as [string, string];
          return Number(port);
        }),
      stop: () => stopAll(servers),
    };
  } catch (error) {
    await stopAll(servers);
    throw error;
  }
}

function waitForReplicationLink(port: number): Promise<void> {
  return eventually(`the replica on port ${port} to reach its primary`, () =>
    withRedis(port, async (client) => /master_link_status:up/.test(await client.info('replication'))),
  );
}

/** A client of the set-up as a host app would make it: ioredis defaults, except a quick reconnection. */
export function sentinelClient(setUp: SentinelSetUp): Redis {
  const client = new Redis({ sentinels: setUp.sentinels, name: setUp.name, retryStrategy: (attempt) => Math.min(attempt * 100, 500) });
  client.on('error', () => {});
  return client;
}
