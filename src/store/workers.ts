import type { Redis } from 'ioredis';
import { StoreKeys } from './keys.ts';

/** Heartbeats older than this are pruned on every beat, so the zset stays small. */
const PRUNE_AFTER_MS = 24 * 3600 * 1000;

/** What a worker process runs: its queues and, with `gpu`, its adapter (see workers/devices.ts). */
export interface WorkerInfo {
  /** The queues it consumes: `cpu` (descent-jobs) and/or `gpu` (descent-jobs-gpu). */
  devices: ('cpu' | 'gpu')[];
  /** The GPU adapter's description; null without `gpu`. */
  adapter: string | null;
  /** Whether the adapter is a software rasterizer (llvmpipe): `auto` never routes to one by default. */
  software: boolean;
}

/** A worker seen recently, with what it runs. */
export interface SeenWorker extends WorkerInfo {
  id: string;
  /** Its last heartbeat, ms since the epoch. */
  lastSeen: number;
}

/** A worker that wrote no info (a version before GPU routing): the CPU queue only. */
const CPU_WORKER: WorkerInfo = { devices: ['cpu'], adapter: null, software: false };

/**
 * Worker liveness: each worker process writes its id with the current time into the `{p}:workers`
 * zset every WORKER_HEARTBEAT_MS; /readyz asks whether one was seen recently. Beside it, each
 * worker's WorkerInfo in `{p}:worker:{id}` (JSON, refreshed by every beat, expiring with the
 * prune age), which the API reads to route `auto` jobs to a GPU and to say what a queued job
 * waits for, and /readyz and /metrics report.
 */
export class WorkerRegistry {
  readonly keys: StoreKeys;
  private readonly redis: Redis;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.keys = new StoreKeys(prefix);
  }

  async heartbeat(workerId: string, now = Date.now(), info?: WorkerInfo): Promise<void> {
    const beat = this.redis
      .multi()
      .zadd(this.keys.workers, now, workerId)
      .zremrangebyscore(this.keys.workers, '-inf', now - PRUNE_AFTER_MS);
    if (info !== undefined)
      beat.set(this.keys.workerInfo(workerId), JSON.stringify(info), 'PX', PRUNE_AFTER_MS);
    await beat.exec();
  }

  /** A worker that shuts down cleanly removes itself at once. */
  async remove(workerId: string): Promise<void> {
    await this.redis.multi().zrem(this.keys.workers, workerId).del(this.keys.workerInfo(workerId)).exec();
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

  /** The workers seen within `withinMs`, with what they run (two round trips). */
  async seen(withinMs: number, now = Date.now()): Promise<SeenWorker[]> {
    const flat = await this.redis.zrangebyscore(this.keys.workers, now - withinMs, '+inf', 'WITHSCORES');
    if (flat.length === 0) return [];
    const ids = flat.filter((_, k) => k % 2 === 0);
    const infos = await this.redis.mget(ids.map((id) => this.keys.workerInfo(id)));
    return ids.map((id, k) => ({
      id,
      lastSeen: Number(flat[2 * k + 1]),
      ...parseInfo(infos[k]),
    }));
  }
}

function parseInfo(text: string | null): WorkerInfo {
  if (text === null) return CPU_WORKER;
  try {
    const info = JSON.parse(text) as WorkerInfo;
    return Array.isArray(info.devices) ? info : CPU_WORKER;
  } catch {
    return CPU_WORKER;
  }
}
