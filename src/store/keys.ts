/**
 * Redis key names of the data model (see contract.ts for the layout). One place, so the API,
 * the workers and the tests agree.
 */
export class StoreKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** `{p}:job:` — jobs' keys start with this (scripts that find a job by id build on it). */
  get jobPrefix(): string {
    return `${this.prefix}:job:`;
  }

  job(id: string): string {
    return `${this.prefix}:job:${id}`;
  }

  tenantJobs(tenant: string): string {
    return `${this.prefix}:jobs:${tenant}`;
  }

  points(id: string): string {
    return `${this.prefix}:job:${id}:points`;
  }

  checkpoint(id: string): string {
    return `${this.prefix}:job:${id}:checkpoint`;
  }

  params(id: string): string {
    return `${this.prefix}:job:${id}:params`;
  }

  idempotency(tenant: string, key: string): string {
    return `${this.prefix}:idem:${tenant}:${key}`;
  }

  /** Pub/sub channel: message = job id; workers stop that run. */
  get cancelChannel(): string {
    return `${this.prefix}:cancel`;
  }

  /** Pub/sub channel: message = a FinishedJob summary (JSON) of a job that has just finished. */
  get finishedChannel(): string {
    return `${this.prefix}:finished`;
  }

  /** Pub/sub channel: message = the job's new status. */
  events(id: string): string {
    return `${this.prefix}:events:${id}`;
  }

  /** Hash: a data set's id, tenant, metadata (JSON) and its X and y as little-endian float64 bytes. */
  dataset(id: string): string {
    return `${this.prefix}:dataset:${id}`;
  }

  /** Set: ids of the jobs that use a data set, from their creation until they finish. */
  datasetJobs(id: string): string {
    return `${this.dataset(id)}:jobs`;
  }

  /** Zset: a tenant's data set ids scored by their creation time (ms). */
  tenantDatasets(tenant: string): string {
    return `${this.prefix}:datasets:${tenant}`;
  }

  /** Count of the tenant's active (queued + running) jobs: MAX_ACTIVE_JOBS_PER_TENANT. */
  active(tenant: string): string {
    return `${this.prefix}:active:${tenant}`;
  }

  /** `{p}:comparison:` — comparisons' keys start with this. */
  get comparisonPrefix(): string {
    return `${this.prefix}:comparison:`;
  }

  comparison(id: string): string {
    return `${this.prefix}:comparison:${id}`;
  }

  tenantComparisons(tenant: string): string {
    return `${this.prefix}:comparisons:${tenant}`;
  }

  /** Idempotency-Key of a batch or a comparison (`kind`), apart from POST /v1/jobs's. */
  idempotencyOf(kind: 'batch' | 'comparison', tenant: string, key: string): string {
    return `${this.prefix}:idem-${kind}:${tenant}:${key}`;
  }

  /** Zset of webhook deliveries to enqueue (`job-{id}`, `comparison-{id}`), scored by when they may be taken. */
  get webhookOutbox(): string {
    return `${this.prefix}:webhook-outbox`;
  }

  /** Zset of worker ids scored by their last heartbeat (ms). */
  get workers(): string {
    return `${this.prefix}:workers`;
  }

  /** A worker's WorkerInfo (JSON): the queues it consumes and its GPU adapter. */
  workerInfo(id: string): string {
    return `${this.prefix}:worker:${id}`;
  }
}
