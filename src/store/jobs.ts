import type { Redis } from 'ioredis';
import { datasetIdOf } from '../data/resolve.ts';
import type { JobSpec } from '../schemas/job-spec.ts';
import type { JobRecord, JobStoreContract, ListQuery } from './contract.ts';
import { NO_DELIVERIES } from './contract.ts';
import { float64FromBytes } from './float64.ts';
import { newId } from './ids.ts';
import { decodeJobRecord, flatToObject } from './job-codec.ts';
import { StoreKeys } from './keys.ts';
import { listPage } from './list-page.ts';
import { runScript } from './scripts.ts';

/**
 * Job records in Redis (layout in contract.ts). Every status transition is one Lua script, so
 * transitions are atomic: a finished job never goes back to running, and of a cancel racing a
 * finish exactly one wins. A record's hash holds only the fields that are set (null fields are
 * absent): id, tenant, status, spec, label, progress, result, error, createdAt, startedAt,
 * finishedAt, cancelRequested.
 */

export interface JobStoreOptions {
  /** MAX_ACTIVE_JOBS_PER_TENANT: a tenant's queued + running jobs at most; 0: no cap. */
  maxActivePerTenant?: number;
  /** Seconds a finished job (record, trajectory, params) is kept; 0: forever. */
  finishedTtlSeconds?: number;
  /** Seconds an Idempotency-Key keeps returning its job. */
  idempotencyTtlSeconds?: number;
}

/** The data set a job spec uses was deleted before the job could be created (the API answers 400). */
export class DatasetGoneError extends Error {
  constructor(readonly datasetId: string) {
    super(`no data set '${datasetId}'`);
    this.name = 'DatasetGoneError';
  }
}

/** A submission would take its tenant over MAX_ACTIVE_JOBS_PER_TENANT (the API answers 429). */
export class TenantCapError extends Error {
  constructor(
    readonly active: number,
    readonly requested: number,
    readonly cap: number,
  ) {
    super(`the tenant has ${active} active jobs; ${requested} more would exceed the cap of ${cap}`);
    this.name = 'TenantCapError';
  }
}

export class JobStore implements JobStoreContract {
  readonly keys: StoreKeys;
  private readonly redis: Redis;
  private readonly finishedTtlSeconds: number;
  private readonly idempotencyTtlSeconds: number;
  private readonly maxActivePerTenant: number;

  constructor(redis: Redis, prefix: string, options: JobStoreOptions = {}) {
    this.redis = redis;
    this.keys = new StoreKeys(prefix);
    this.finishedTtlSeconds = options.finishedTtlSeconds ?? 0;
    this.idempotencyTtlSeconds = options.idempotencyTtlSeconds ?? 24 * 3600;
    this.maxActivePerTenant = options.maxActivePerTenant ?? 0;
  }

  /**
   * Creates a queued job, or with an idempotency key returns the key's job instead (created:
   * false). `position`: the tenant's active jobs before this one (its fair-order priority is
   * position + 1: src/queue/job-queue.ts). Throws TenantCapError when the tenant is at its cap.
   */
  async create(
    tenant: string,
    spec: JobSpec,
    idempotencyKey?: string,
    id: string = newId(),
  ): Promise<{ job: JobRecord; created: boolean; position: number }> {
    const idempotency =
      idempotencyKey === undefined ? undefined : this.keys.idempotency(tenant, idempotencyKey);
    const outcome = await this.createRecords(tenant, [{ id, spec }], { idempotency });
    if (outcome.created) return { job: outcome.jobs[0], created: true, position: outcome.position };
    const existing = await this.get(outcome.value, tenant);
    // Deleted between the two calls: a fresh job is what a first request would have got.
    if (existing === null) return this.create(tenant, spec, idempotencyKey);
    return { job: existing, created: false, position: await this.activeCount(tenant) };
  }

  /**
   * Creates queued jobs in one script, all or none (POST /v1/jobs/batch): records, the tenant's
   * index and its active count. With an idempotency key, a replay returns the first call's jobs
   * (created: false). Throws TenantCapError when they would take the tenant over its cap.
   */
  async createBatch(
    tenant: string,
    specs: readonly JobSpec[],
    idempotencyKey?: string,
  ): Promise<{ jobs: JobRecord[]; created: boolean; position: number }> {
    const idempotency =
      idempotencyKey === undefined ? undefined : this.keys.idempotencyOf('batch', tenant, idempotencyKey);
    const outcome = await this.createRecords(
      tenant,
      specs.map((spec) => ({ id: newId(), spec })),
      { idempotency },
    );
    if (outcome.created) return { jobs: outcome.jobs, created: true, position: outcome.position };
    const jobs = await this.getMany(outcome.value.split(','));
    if (jobs.some((job) => job === null)) return this.createBatch(tenant, specs);
    return { jobs: jobs as JobRecord[], created: false, position: await this.activeCount(tenant) };
  }

  /**
   * The one write of every submission (create-jobs.lua): job records (and, for a comparison, its
   * record) in one script, checked against the tenant's cap. `idempotency`: the key to hold the
   * submission's ids (or `value`), checked for a live first entry under `livePrefix`.
   */
  async createRecords(
    tenant: string,
    jobs: readonly { id: string; spec: JobSpec; comparisonId?: string }[],
    options: {
      idempotency?: string;
      value?: string;
      livePrefix?: string;
      comparison?: { id: string; fields: string[] };
    } = {},
  ): Promise<{ created: true; jobs: JobRecord[]; position: number } | { created: false; value: string }> {
    const now = new Date();
    const createdAt = now.toISOString();
    const keys = [this.keys.tenantJobs(tenant), this.keys.active(tenant)];
    if (options.idempotency !== undefined) keys.push(options.idempotency);
    const args: (string | number)[] = [
      this.maxActivePerTenant,
      now.getTime(),
      this.idempotencyTtlSeconds,
      options.value ?? jobs.map((job) => job.id).join(','),
      options.livePrefix ?? this.keys.jobPrefix,
      jobs.length,
    ];
    const records: JobRecord[] = new Array(jobs.length);
    for (let k = 0; k < jobs.length; k++) {
      const { id, spec, comparisonId } = jobs[k];
      const fields = ['id', id, 'tenant', tenant, 'status', 'queued', 'spec', JSON.stringify(spec)];
      fields.push('createdAt', createdAt, 'cancelRequested', '0');
      if (spec.label !== null && spec.label !== undefined) fields.push('label', spec.label);
      if (comparisonId !== undefined) fields.push('comparison', comparisonId);
      // A job on a stored data set holds it (the create script checks it exists and joins its users).
      const datasetId = datasetIdOf(spec);
      if (datasetId !== null) fields.push('dataset', this.keys.dataset(datasetId));
      const webhookUrl = spec.webhook?.url;
      if (webhookUrl !== undefined) fields.push('webhook', webhookUrl);
      args.push(fields.length, ...fields);
      records[k] = {
        id,
        tenant,
        status: 'queued',
        spec,
        progress: null,
        result: null,
        error: null,
        createdAt,
        startedAt: null,
        finishedAt: null,
        cancelRequested: false,
        ...(comparisonId === undefined ? {} : { comparisonId }),
        ...(webhookUrl === undefined ? {} : { webhook: { url: webhookUrl, deliveries: NO_DELIVERIES } }),
      };
    }
    if (options.comparison !== undefined) {
      const { id, fields } = options.comparison;
      args.push(this.keys.comparison(id), this.keys.tenantComparisons(tenant), id, fields.length, ...fields);
    }
    const [code, value] = (await runScript(this.redis, 'descentCreateJobs', keys, args)) as [
      number,
      number | string,
    ];
    if (code === 2) throw new TenantCapError(Number(value), jobs.length, this.maxActivePerTenant);
    if (code === 3) throw new DatasetGoneError(datasetIdOf(jobs[Number(value) - 1].spec) as string);
    if (code === 0) return { created: false, value: String(value) };
    return { created: true, jobs: records, position: Number(value) };
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
