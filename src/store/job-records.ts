import type { Redis } from 'ioredis';
import type { JobRecord, JobRecordsContract, ListQuery } from './contract.ts';
import { float64FromBytes } from './float64.ts';
import { decodeJobRecord, flatToObject } from './job-codec.ts';
import { StoreKeys } from './keys.ts';
import { listPage } from './list-page.ts';
import { runScript } from './scripts.ts';

/**
 * Job records as the API reads and manages them once written (job-submissions.ts writes them,
 * job-runs.ts moves them through a run): read one or many, list a tenant's, count its active
 * jobs, read a finished job's parameters, cancel, remove. Layout in contract.ts. Every status
 * transition is one Lua script (cancel-job.lua here), so of a cancel racing a finish exactly one
 * wins.
 */

export interface JobRecordsOptions {
  /**
   * Seconds a finished job (record, trajectory, params) is kept; 0: forever. A job cancelled
   * while queued finishes here (cancel-job.lua).
   */
  finishedTtlSeconds?: number;
}

export class JobRecords implements JobRecordsContract {
  readonly keys: StoreKeys;
  private readonly redis: Redis;
  private readonly finishedTtlSeconds: number;

  constructor(redis: Redis, prefix: string, options: JobRecordsOptions = {}) {
    this.redis = redis;
    this.keys = new StoreKeys(prefix);
    this.finishedTtlSeconds = options.finishedTtlSeconds ?? 0;
  }

  /** The tenant's active (queued + running) jobs. */
  async activeCount(tenant: string): Promise<number> {
    return Math.max(0, Number((await this.redis.get(this.keys.active(tenant))) ?? 0));
  }

  /** Records by id in one round trip, in order; null where missing (or another tenant's). */
  async getMany(ids: readonly string[], tenant?: string): Promise<(JobRecord | null)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.job(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, hash]) => {
      if (error) throw error;
      const record = decodeJobRecord(hash as Record<string, string>);
      return record === null || (tenant !== undefined && record.tenant !== tenant) ? null : record;
    });
  }

  async get(id: string, tenant?: string): Promise<JobRecord | null> {
    const record = decodeJobRecord(await this.redis.hgetall(this.keys.job(id)));
    if (record === null || (tenant !== undefined && record.tenant !== tenant)) return null;
    return record;
  }

  /** Newest first; `cursor` is the `nextCursor` of the previous page (else InvalidCursorError). */
  async list(tenant: string, query: ListQuery): Promise<{ items: JobRecord[]; nextCursor: string | null }> {
    const page = await listPage(this.redis, this.keys.tenantJobs(tenant), this.keys.jobPrefix, query);
    const items: JobRecord[] = [];
    for (const hash of page.hashes) {
      const record = decodeJobRecord(hash);
      if (record !== null) items.push(record);
    }
    return { items, nextCursor: page.nextCursor };
  }

  async requestCancel(id: string): Promise<JobRecord | null> {
    const flat = await runScript(
      this.redis,
      'descentCancelJob',
      [this.keys.job(id)],
      [new Date().toISOString(), this.finishedTtlSeconds, this.keys.events(id), this.keys.cancelChannel, id],
    );
    return flat ? decodeJobRecord(flatToObject(flat)) : null;
  }

  async remove(id: string): Promise<void> {
    await runScript(
      this.redis,
      'descentRemoveJob',
      [this.keys.job(id), this.keys.points(id), this.keys.checkpoint(id), this.keys.params(id)],
      [`${this.keys.prefix}:jobs:`, id],
    );
  }

  async params(id: string, which: 'final' | 'best'): Promise<Float64Array | null> {
    const bytes = await this.redis.hgetBuffer(this.keys.params(id), which);
    return bytes === null ? null : float64FromBytes(bytes);
  }
}
