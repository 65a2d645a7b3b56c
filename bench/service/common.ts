import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { StoreKeys } from '../../src/store/keys.ts';
/** What the service bench's figures share: the load they put on the service and small helpers. */

export const WORKER_CONCURRENCY = 2;
/** Requests in flight in the throughput figures, each on its own keep-alive connection. */
export const IN_FLIGHT = 16;
/** Upper bound on any single wait, so the bench always ends. */
export const STEP_TIMEOUT_MS = 120_000;

/** The tiny job of the throughput figures: one sgd step on a 2-D sphere. */
export const TINY_SPEC = {
  objective: { type: 'builtin', name: 'sphere', dim: 2 },
  optimizer: { name: 'sgd', lr: 0.1 },
  stop: { maxIterations: 1 },
  seed: 1,
  label: 'bench-tiny',
};

/**
 * Resolves once the bench's tenant (`default`: the service runs open) has no queued or running
 * job: its active count, kept by the store's create and finishing scripts, is polled every 20 ms
 * on the bench's own connection (no request to the service, so no CPU taken from it). Jobs need
 * not finish in submission order (the fair order's priorities follow the tenant's active count).
 */
export async function untilTenantIdle(redis: Redis, keys: StoreKeys): Promise<void> {
  while (Number((await redis.get(keys.active('default'))) ?? 0) > 0) await sleep(20);
}

/** Wall-clock ms with sub-ms resolution (one clock for writes and receipts in this process). */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

export async function withTimeout<T>(promise: Promise<T>, what: string, ms = STEP_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench/service: ${what} took over ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `task(k, lane)` for k < count with at most `limit` in flight (lane < limit: which one). */
export async function pool(
  count: number,
  limit: number,
  task: (k: number, lane: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, count) }, async (_, lane) => {
    while (next < count) await task(next++, lane);
  });
  await Promise.all(lanes);
}
