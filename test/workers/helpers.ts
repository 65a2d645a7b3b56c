import type { Redis } from 'ioredis';
import { type Config, loadConfig } from '../../src/config.ts';
import type { JobRecord, JobStatus } from '../../src/store/contract.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import { StoreKeys } from '../../src/store/keys.ts';
import { createTestRedis, testRedisUrl } from '../helpers/redis.ts';

export function testConfig(prefix: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'error',
    WORKER_CONCURRENCY: '2',
    // CPU workers unless a test asks for a GPU one (no Dawn in every suite).
    WORKER_DEVICES: 'cpu',
    CHECKPOINT_INTERVAL_MS: '200',
    WORKER_HEARTBEAT_MS: '200',
    JOB_TTL_SECONDS: '0',
    ...env,
  });
}

/**
 * Resolves with the job record and the time (performance.now) the status became one of
 * `statuses`, watching the job's events channel (and re-reading the record, so a change before
 * the subscription is not missed).
 */
export async function waitForStatus(
  jobs: JobRecords,
  jobId: string,
  statuses: JobStatus[],
  timeoutMs = 20_000,
): Promise<{ record: JobRecord; at: number }> {
  const subscriber: Redis = createTestRedis();
  const keys = new StoreKeys(jobs.keys.prefix);
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(async () => {
        const record = await jobs.get(jobId);
        reject(
          new Error(
            `job ${jobId} did not reach ${statuses.join('|')} in ${timeoutMs} ms (is ${record?.status})`,
          ),
        );
      }, timeoutMs);
      const check = async (at: number) => {
        const record = await jobs.get(jobId);
        if (record !== null && statuses.includes(record.status)) {
          clearTimeout(timer);
          resolve({ record, at });
        }
      };
      subscriber.on('message', (_channel, status: string) => {
        const at = performance.now();
        if (statuses.includes(status as JobStatus)) void check(at);
      });
      subscriber
        .subscribe(keys.events(jobId))
        .then(() => check(performance.now()))
        .catch(reject);
    });
  } finally {
    subscriber.disconnect();
  }
}

/** Polls `probe` every 10 ms until it returns a truthy value. */
export async function waitFor<T>(
  probe: () => Promise<T>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
