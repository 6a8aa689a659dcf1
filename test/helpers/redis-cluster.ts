import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eventually } from './eventually';
import { startRedisServer, stopAll, withRedis, type RedisServer } from './redis-server';

export interface RedisClusterUnderTest {
  /** Start-up nodes for `new Cluster(nodes)`. */
  nodes: { host: string; port: number }[];
  /** Kills the master at `index` (SIGKILL); with no replicas, its slots are then unserved. */
  killNode(index: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A private Redis Cluster: `masters` cluster-enabled servers on loopback ports (no replicas),
 * joined with `redis-cli --cluster create` and waited for until every node reports `ok`.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterUnderTest> {
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < masters; i += 1) {
      servers.push(await startRedisServer({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'] }));
    }
    const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
    await promisify(execFile)('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 20_000,
    });
    await Promise.all(servers.map((server) => waitForClusterOk(server.port)));
  } catch (error) {
    await stopAll(servers);
    throw error;
  }
  return {
    nodes: servers.map((server) => ({ host: '127.0.0.1', port: server.port })),
    killNode: (index) => servers[index].kill(),
    stop: () => stopAll(servers),
  };
}

function waitForClusterOk(port: number): Promise<void> {
  return eventually(`cluster_state:ok on port ${port}`, () =>
    withRedis(port, async (client) => /cluster_state:ok/.test(await client.cluster('INFO'))),
  );
}
