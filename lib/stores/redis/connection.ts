import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { TemporarilyUnavailableError } from '../../errors';

/** What `redisStore` talks to: a standalone or Sentinel-configured `Redis`, or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/**
 * A connection made from a `redis://` or `rediss://` (TLS) URL. No offline queue: a command
 * sent while Redis is away fails at once instead of piling up in memory; none is re-sent. A socket that gets no
 * answer within the limit is dropped (a hung Redis), and reconnection is retried at least once
 * a second, so service resumes soon after Redis returns. `overrides` replace these options.
 */
export function connectToUrl(url: string, timeoutMs: number, overrides: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    // Commands of one event-loop turn go out in one write (bench/README.md, "Hot paths").
    enableAutoPipelining: true,
    // A command that got no answer is never sent again: it may have run (a stalled Redis runs it
    // late), and a second run of a script that uses a code or rotates a token would count as
    // reuse. Commands pending when the connection drops are rejected at once (0 retries).
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // How long a closing connection may take before it is destroyed (default 2 s, even when dead).
    disconnectTimeout: timeoutMs,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1000),
    ...overrides,
  });
  // Failures reach callers as rejected commands; the event itself needs a listener so that
  // ioredis does not report it as unhandled.
  client.on('error', () => guardSocket(client));
  return client;
}

const guarded = new WeakSet<object>();

/**
 * ioredis listens for one 'error' per socket (`once`), but a TLS socket can emit a second one
 * (the server's alert after the client refused its certificate): with no listener left, Node
 * would throw it and end the process. The socket that failed keeps a listener until it is gone.
 */
function guardSocket(client: Redis): void {
  const socket = client.stream;
  if (socket === undefined || socket === null || guarded.has(socket)) return;
  guarded.add(socket);
  socket.on('error', () => {});
}

/**
 * Wraps the store's Redis commands so that each one resolves, or rejects with
 * `TemporarilyUnavailableError`, within `timeoutMs`, whatever options the client was made with:
 * - until the client's first connection (or the limit), commands wait for it;
 * - after that, no command is sent while the client is not ready: it fails at once, so
 *   nothing queues in a client that has an offline queue;
 * - a command without an answer in time is abandoned (its late outcome is ignored).
 * `clientTimesOut`: the client itself rejects commands after `timeoutMs` (a connection made by
 * `connectToUrl`), so a ready client needs no timer of ours per command.
 */
export function failClosedRunner(
  client: RedisClient,
  timeoutMs: number,
  clientTimesOut = false,
): <T>(command: () => Promise<T>) => Promise<T> {
  // A lazy client connects on its first command, which would never be sent: connect it now.
  if (client.status === 'wait') client.connect().catch(() => {});
  const firstConnection = untilReady(client, timeoutMs);
  firstConnection.catch(() => {});

  const unavailable = (): never => {
    throw new TemporarilyUnavailableError('The token store is unreachable.');
  };
  return (command) => {
    // The usual case, without a timer or an async frame of ours: the client bounds the command.
    if (clientTimesOut && client.status === 'ready') {
      try {
        return command().catch(unavailable);
      } catch {
        return Promise.resolve().then(unavailable);
      }
    }
    return withinLimit(timeoutMs, async () => {
      if (client.status !== 'ready') await firstConnection;
      if (client.status !== 'ready') throw new Error('Redis is not connected');
      return command();
    }).catch(unavailable);
  };
}

function untilReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error('Redis did not become ready in time'));
    }, timeoutMs);
    timer.unref();
    client.once('ready', onReady);
  });
}

async function withinLimit<T>(timeoutMs: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No answer from Redis within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work(), expired]);
  } finally {
    clearTimeout(timer);
  }
}
