import { Redis } from 'ioredis';
import { withSocketConnection } from './socket.ts';

/**
 * Who owns an embedded redis-server. The `npm start` that started it, or adopted it, keeps a
 * connection to it named OWNER_NAME for as long as it lives. The kernel closes that connection
 * when the process ends, however it ends, so the mark is never stale: there is no pid file to
 * outlive its process and no pid to be reused.
 *
 * A second `npm start` on the same DATA_DIR finds the server owned and refuses to start. Before,
 * it used the first one's Redis as its own and shut it down when it exited (seen: a second
 * `npm start` that failed on a busy PORT took the first one's Redis down with it). A server with
 * no owner is one that a crashed `npm start` left running: it is adopted.
 */

export const OWNER_NAME = 'descent-embedded-owner';

export class EmbeddedRedisInUseError extends Error {
  constructor(dataDir: string, socketPath: string) {
    super(
      `DATA_DIR ${dataDir} is in use: another \`npm start\` runs its embedded redis-server there ` +
        `(${socketPath}). Stop that one, give this one another DATA_DIR, or add workers to it with ` +
        `REDIS_URL=unix://${socketPath} npm run worker.`,
    );
    this.name = 'EmbeddedRedisInUseError';
  }
}

/** Whether a live process holds the owner connection of the server on `socketPath`. */
export async function isOwned(socketPath: string): Promise<boolean> {
  const clients = await withSocketConnection(socketPath, (redis) => redis.client('LIST') as Promise<string>);
  return clients?.split('\n').some((line) => line.includes(` name=${OWNER_NAME} `)) ?? false;
}

/**
 * Opens the owner connection (ioredis names it with CLIENT SETNAME as it connects) and resolves
 * once the server has its name. `release` closes it (it also ends with the server, never to
 * reconnect, or with this process). It does not keep the process alive.
 */
export async function holdOwnership(socketPath: string): Promise<{ release(): void }> {
  const redis = new Redis({
    path: socketPath,
    connectionName: OWNER_NAME,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot hold the embedded redis-server: ${(error as Error).message}`);
  }
  redis.stream.unref();
  return { release: () => redis.disconnect() };
}
