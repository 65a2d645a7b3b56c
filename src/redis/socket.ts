import { Redis } from 'ioredis';

/**
 * One short-lived ioredis connection to the Redis on a unix socket, for the few exchanges with an
 * embedded server outside the service's own connections: readiness (PING), ownership (CLIENT
 * LIST), shutdown. It never retries or queues: a server that is not there is an answer (null).
 */
export async function withSocketConnection<T>(
  socketPath: string,
  use: (redis: Redis) => Promise<T>,
  timeoutMs = 1000,
): Promise<T | null> {
  const redis = new Redis({
    path: socketPath,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  // Failures are the null answer; without a listener ioredis would print each one.
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await use(redis);
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}
