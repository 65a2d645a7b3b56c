/**
 * Docker HEALTHCHECK of a worker container: healthy (exit 0) while a worker process of this
 * container has a fresh heartbeat in Redis, unhealthy (exit 1) otherwise.
 *
 * Workers record themselves in the `{p}:workers` zset (member `{hostname}-{pid}-{random}`, score
 * the last heartbeat in ms; see workers/service.ts and src/store/workers.ts) every
 * WORKER_HEARTBEAT_MS. A container's hostname is its own, so the members that start with it are
 * this container's workers. "Fresh" is WORKER_SEEN_WITHIN_MS, the same bound /readyz uses.
 *
 *   node --import tsx docker/worker-healthcheck.ts
 */
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.ts';
import { redisOptionsFromUrl } from '../src/redis/connection.ts';
import { StoreKeys } from '../src/store/keys.ts';

function unhealthy(message: string): never {
  process.stderr.write(`unhealthy: ${message}\n`);
  process.exit(1);
}

const config = loadConfig();
if (config.redisUrl === null) unhealthy('REDIS_URL is not set');

const redis = new Redis({
  ...redisOptionsFromUrl(config.redisUrl),
  connectTimeout: 2000,
  maxRetriesPerRequest: 1,
  retryStrategy: () => null,
  lazyConnect: true,
});
let lastError: Error | null = null;
redis.on('error', (error: Error) => {
  lastError = error;
});
// Worker ids are `{hostname}-{pid}-{hex}`: match the whole shape, so host `a` never claims `a-b`'s workers.
const escaped = hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ours = new RegExp(`^${escaped}-\\d+-[0-9a-f]+$`);

try {
  await redis.connect();
  const now = Date.now();
  const fresh = await redis.zrangebyscore(
    new StoreKeys(config.redisPrefix).workers,
    now - config.workerSeenWithinMs,
    '+inf',
  );
  const mine = fresh.filter((id) => ours.test(id));
  if (mine.length === 0) {
    unhealthy(`no heartbeat from a worker on ${hostname()} within ${config.workerSeenWithinMs} ms`);
  }
  process.stdout.write(`healthy: ${mine.join(', ')}\n`);
} catch (error) {
  unhealthy(`redis: ${(lastError ?? (error as Error)).message}`);
} finally {
  redis.disconnect();
}
