import type { Redis } from 'ioredis';
import { StoreKeys } from './keys.ts';

/** Heartbeats older than this are pruned on every beat, so the zset stays small. */
const PRUNE_AFTER_MS = 24 * 3600 * 1000;

/**
 * Worker liveness: each worker process writes its id with the current time into the `{p}:workers`
 * zset every WORKER_HEARTBEAT_MS; /readyz asks whether one was seen recently.
 */
export class WorkerRegistry {
  readonly keys: StoreKeys;
  private readonly redis: Redis;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.keys = new StoreKeys(prefix);
  }

  async heartbeat(workerId: string, now = Date.now()): Promise<void> {
    await this.redis
      .multi()
      .zadd(this.keys.workers, now, workerId)
      .zremrangebyscore(this.keys.workers, '-inf', now - PRUNE_AFTER_MS)
      .exec();
  }

  /** A worker that shuts down cleanly removes itself at once. */
  async remove(workerId: string): Promise<void> {
    await this.redis.zrem(this.keys.workers, workerId);
  }

  /** Time (ms since the epoch) of the latest heartbeat of any worker, or null. */
  async lastSeen(): Promise<number | null> {
    const latest = await this.redis.zrange(this.keys.workers, 0, 0, 'REV', 'WITHSCORES');
    return latest.length < 2 ? null : Number(latest[1]);
  }

  /** Ids of the workers seen within `withinMs`. */
  async alive(withinMs: number, now = Date.now()): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.workers, now - withinMs, '+inf');
  }
}
