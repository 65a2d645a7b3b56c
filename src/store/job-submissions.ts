import type { Redis } from 'ioredis';
import { datasetIdOf } from '../data/resolve.ts';
import type { JobSpec } from '../schemas/job-spec.ts';
import type { JobRecord, JobSubmissionsContract } from './contract.ts';
import { NO_DELIVERIES } from './contract.ts';
import { newId } from './ids.ts';
import type { JobRecords } from './job-records.ts';
import { StoreKeys } from './keys.ts';
import { runScript } from './scripts.ts';

/**
 * A job's first write: the records of a submission (one job, a batch, or a comparison's members
 * with its record), written by one script, create-jobs.lua, within the tenant's cap and under an
 * Idempotency-Key. The API awaits its reply before it adds the queue entry, so a worker never
 * fetches a job whose record is not there. What follows is the worker's (job-runs.ts), then the
 * readers' (job-records.ts); layout in contract.ts.
 */

export interface JobSubmissionsOptions {
  /** MAX_ACTIVE_JOBS_PER_TENANT: a tenant's queued + running jobs at most; 0: no cap. */
  maxActivePerTenant?: number;
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

export class JobSubmissions implements JobSubmissionsContract {
  readonly keys: StoreKeys;
  private readonly redis: Redis;
  private readonly idempotencyTtlSeconds: number;
  private readonly maxActivePerTenant: number;

  /** `records`: where a replayed Idempotency-Key reads the jobs it returns. */
  constructor(
    redis: Redis,
    prefix: string,
    private readonly records: JobRecords,
    options: JobSubmissionsOptions = {},
  ) {
    this.redis = redis;
    this.keys = new StoreKeys(prefix);
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
    const existing = await this.records.get(outcome.value, tenant);
    // Deleted between the two calls: a fresh job is what a first request would have got.
    if (existing === null) return this.create(tenant, spec, idempotencyKey);
    return { job: existing, created: false, position: await this.records.activeCount(tenant) };
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
    const jobs = await this.records.getMany(outcome.value.split(','));
    if (jobs.some((job) => job === null)) return this.createBatch(tenant, specs);
    return { jobs: jobs as JobRecord[], created: false, position: await this.records.activeCount(tenant) };
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
}
