import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RunCheckpoint } from '../core/run.ts';
import type { JobSpec } from '../core/spec.ts';
import type { Result, TrajectoryPoint } from '../core/types.ts';
import { datasetIdOf } from '../data/resolve.ts';
import type {
  FinishedJob,
  JobError,
  JobProgress,
  JobRecord,
  JobStatus,
  JobStoreContract,
  ListQuery,
} from './contract.ts';
import { float64Bytes, float64FromBytes } from './float64.ts';
import { StoreKeys } from './keys.ts';
import { runScript, runScriptInOrder } from './scripts.ts';
import { pointArgs } from './trajectory.ts';

/**
 * Job records in Redis (layout in contract.ts). Every status transition is one Lua script, so
 * transitions are atomic: a finished job never goes back to running, and of a cancel racing a
 * finish exactly one wins. A record's hash holds only the fields that are set (null fields are
 * absent): id, tenant, status, spec, label, progress, result, error, createdAt, startedAt,
 * finishedAt, cancelRequested.
 */

const LIST_MAX_LIMIT = 100;
/** Records a list call inspects at most (with filters, a page may then hold fewer than `limit`). */
const LIST_SCAN_BUDGET = 2000;

export interface JobStoreOptions {
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

/** A list cursor that was not made by this store (the API answers 400). */
export class InvalidCursorError extends Error {
  constructor() {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}

const ID_BYTES = 16;
/** Ids drawn per randomBytes call: one call per id cost ~12 µs of a ~0.4 ms submit (profiled). */
const IDS_PER_DRAW = 256;
let idPool = Buffer.alloc(0);
let idOffset = 0;

/** 128 random bits (crypto.randomBytes, drawn in batches), base64url: unguessable, URL-safe, 22 characters. */
export function newJobId(): string {
  if (idOffset + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_BYTES * IDS_PER_DRAW);
    idOffset = 0;
  }
  const id = idPool.toString('base64url', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  return id;
}

function encodeCursor(score: string, id: string): string {
  return Buffer.from(`${score}:${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { score: string; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,16}):([A-Za-z0-9_-]{1,64})$/.exec(text);
  if (!match) throw new InvalidCursorError();
  return { score: match[1], id: match[2] };
}

function flatToObject(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

function parseJson<T>(text: string | undefined): T | null {
  return text === undefined || text === '' ? null : (JSON.parse(text) as T);
}

export function decodeJobRecord(hash: Record<string, string>): JobRecord | null {
  if (hash.id === undefined || hash.status === undefined) return null;
  return {
    id: hash.id,
    tenant: hash.tenant,
    status: hash.status as JobStatus,
    spec: JSON.parse(hash.spec) as JobSpec,
    progress: parseJson<JobProgress>(hash.progress),
    result: parseJson<Result>(hash.result),
    error: parseJson<JobError>(hash.error),
    createdAt: hash.createdAt,
    startedAt: hash.startedAt ?? null,
    finishedAt: hash.finishedAt ?? null,
    cancelRequested: hash.cancelRequested === '1',
  };
}

export class JobStore implements JobStoreContract {
  readonly keys: StoreKeys;
  private readonly redis: Redis;
  private readonly finishedTtlSeconds: number;
  private readonly idempotencyTtlSeconds: number;

  constructor(redis: Redis, prefix: string, options: JobStoreOptions = {}) {
    this.redis = redis;
    this.keys = new StoreKeys(prefix);
    this.finishedTtlSeconds = options.finishedTtlSeconds ?? 0;
    this.idempotencyTtlSeconds = options.idempotencyTtlSeconds ?? 24 * 3600;
  }

  async create(
    tenant: string,
    spec: JobSpec,
    idempotencyKey?: string,
    id: string = newJobId(),
  ): Promise<{ job: JobRecord; created: boolean }> {
    const now = new Date();
    const job: JobRecord = {
      id,
      tenant,
      status: 'queued',
      spec,
      progress: null,
      result: null,
      error: null,
      createdAt: now.toISOString(),
      startedAt: null,
      finishedAt: null,
      cancelRequested: false,
    };
    const fields = ['id', id, 'tenant', tenant, 'status', 'queued', 'spec', JSON.stringify(spec)];
    fields.push('createdAt', job.createdAt, 'cancelRequested', '0');
    if (spec.label !== null && spec.label !== undefined) fields.push('label', spec.label);
    // A job on a stored data set holds it (the create script checks it exists and joins its users).
    const datasetId = datasetIdOf(spec);
    if (datasetId !== null) fields.push('dataset', this.keys.dataset(datasetId));
    const keys = [this.keys.job(id), this.keys.tenantJobs(tenant)];
    if (idempotencyKey !== undefined) keys.push(this.keys.idempotency(tenant, idempotencyKey));
    const [created, jobId] = (await runScript(this.redis, 'descentCreateJob', keys, [
      id,
      now.getTime(),
      this.idempotencyTtlSeconds,
      this.keys.jobPrefix,
      ...fields,
    ])) as [number, string];
    if (created === 1) return { job, created: true };
    if (created === 2) throw new DatasetGoneError(datasetId as string);
    const existing = await this.get(jobId, tenant);
    // Deleted between the two calls: a fresh job is what a first request would have got.
    if (existing === null) return this.create(tenant, spec, idempotencyKey);
    return { job: existing, created: false };
  }

  async get(id: string, tenant?: string): Promise<JobRecord | null> {
    const record = decodeJobRecord(await this.redis.hgetall(this.keys.job(id)));
    if (record === null || (tenant !== undefined && record.tenant !== tenant)) return null;
    return record;
  }

  /** Newest first; `cursor` is the `nextCursor` of the previous page (else InvalidCursorError). */
  async list(tenant: string, query: ListQuery): Promise<{ items: JobRecord[]; nextCursor: string | null }> {
    const limit = Math.max(1, Math.min(LIST_MAX_LIMIT, Math.floor(query.limit)));
    const cursor = query.cursor ? decodeCursor(query.cursor) : null;
    const reply = (await runScript(
      this.redis,
      'descentListJobs',
      [this.keys.tenantJobs(tenant)],
      [
        this.keys.jobPrefix,
        cursor ? cursor.score : '+inf',
        cursor ? cursor.id : '',
        query.status ?? '',
        query.label !== undefined ? '1' : '0',
        query.label ?? '',
        limit,
        LIST_SCAN_BUDGET,
      ],
    )) as unknown[];
    const [score, id] = reply as [string | null, string | null];
    const items: JobRecord[] = [];
    for (const flat of reply.slice(2)) {
      const record = decodeJobRecord(flatToObject(flat));
      if (record !== null) items.push(record);
    }
    return { items, nextCursor: score !== null && id !== null ? encodeCursor(score, id) : null };
  }

  /**
   * queued → running and the checkpoint, in one round trip (what a worker does first with a job);
   * null when the job is gone or already finished.
   */
  async begin(id: string): Promise<{ record: JobRecord; checkpoint: RunCheckpoint | null } | null> {
    const reply = (await runScript(
      this.redis,
      'descentBeginJob',
      [this.keys.job(id), this.keys.checkpoint(id)],
      [new Date().toISOString(), this.keys.events(id)],
    )) as [unknown, string | null] | null;
    if (!reply) return null;
    const record = decodeJobRecord(flatToObject(reply[0]));
    if (record === null) return null;
    return { record, checkpoint: parseJson<RunCheckpoint>(reply[1] ?? undefined) };
  }

  /** Stores progress of a running job; resolves to true when a cancel was requested meanwhile. */
  async setProgress(id: string, progress: JobProgress): Promise<boolean> {
    const reply = await runScript(
      this.redis,
      'descentSetProgress',
      [this.keys.job(id)],
      [JSON.stringify(progress)],
    );
    return reply === 1;
  }

  /**
   * running → completed | cancelled; resolves to false when the job was not running (no change).
   * The final progress is derived from the result; `maxIterations` (the spec's) saves reading it.
   * `points`, the run's last points (at most a batch), are appended in the same script, before
   * the status changes.
   */
  async finish(
    id: string,
    status: 'completed' | 'cancelled',
    result: Result,
    params: { final: Float64Array; best: Float64Array },
    maxIterations?: number,
    points: readonly TrajectoryPoint[] = [],
  ): Promise<boolean> {
    const reply = (await runScript(
      this.redis,
      'descentFinishJob',
      this.finishKeys(id),
      await this.finishArgs(id, status, result, params, maxIterations, points),
    )) as [number, number];
    return reply[0] === 1;
  }

  /**
   * Finishes a run that was never begun: queued (or running, from an attempt that stopped)
   * → completed | cancelled in one script: startedAt (when not set yet), points, result, params,
   * status and notifications, as `finish`. A worker runs a small job straight from its queue
   * entry's spec and stores it this way, one round trip in all. Resolves to `finished`, `gone`
   * (missing or already finished: nothing written) or `cancel_requested` (a cancel reached the
   * job while an earlier attempt ran it: nothing written; the caller runs it the usual way, which
   * honours the cancel). The script goes out synchronously, as EVAL, so Redis runs it before any
   * command sent after this call on the same connection, whatever its script cache holds.
   */
  finishUnstarted(
    id: string,
    status: 'completed' | 'cancelled',
    result: Result,
    params: { final: Float64Array; best: Float64Array },
    maxIterations: number,
    points: readonly TrajectoryPoint[] = [],
  ): Promise<'finished' | 'gone' | 'cancel_requested'> {
    // Sent at once, as EVAL (never answered NOSCRIPT and resent: scripts.ts), so that a command
    // the caller issues after this call runs after it in Redis (see workers/job-life.ts).
    const reply = runScriptInOrder(
      this.redis,
      'descentFinishUnstartedJob',
      this.finishKeys(id),
      this.finishArgsKnown(id, status, result, params, maxIterations, points, true),
    ) as Promise<[number, number]>;
    return reply.then(([code]) => (code === 1 ? 'finished' : code === 2 ? 'cancel_requested' : 'gone'));
  }

  private finishKeys(id: string): string[] {
    return [this.keys.job(id), this.keys.params(id), this.keys.checkpoint(id), this.keys.points(id)];
  }

  private async finishArgs(
    id: string,
    status: 'completed' | 'cancelled',
    result: Result,
    params: { final: Float64Array; best: Float64Array },
    maxIterations: number | undefined,
    points: readonly TrajectoryPoint[],
  ): Promise<(string | number | Buffer)[]> {
    if (maxIterations === undefined) {
      const spec = await this.redis.hget(this.keys.job(id), 'spec');
      maxIterations = spec ? (JSON.parse(spec) as JobSpec).stop.maxIterations : result.iterations;
    }
    return this.finishArgsKnown(id, status, result, params, maxIterations, points);
  }

  private finishArgsKnown(
    id: string,
    status: 'completed' | 'cancelled',
    result: Result,
    params: { final: Float64Array; best: Float64Array },
    maxIterations: number,
    points: readonly TrajectoryPoint[],
    hexParams = false,
  ): (string | number | Buffer)[] {
    const encode = hexParams ? (values: Float64Array) => float64Bytes(values).toString('hex') : float64Bytes;
    const progress: JobProgress = {
      iteration: result.iterations,
      maxIterations,
      f: result.f,
      gradNorm: result.gradNorm,
    };
    const finished: FinishedJob = { id, status, iterations: result.iterations, wallMs: result.wallMs };
    const args: (string | number | Buffer)[] = [
      status,
      JSON.stringify(result),
      JSON.stringify(progress),
      new Date().toISOString(),
      encode(params.final),
      encode(params.best),
      this.finishedTtlSeconds,
      this.keys.events(id),
      this.keys.finishedChannel,
      JSON.stringify(finished),
    ];
    return pointArgs(points, args);
  }

  /** queued | running → failed; resolves to false when the job had already finished. */
  async fail(id: string, error: JobError): Promise<boolean> {
    const reply = await runScript(
      this.redis,
      'descentFailJob',
      [this.keys.job(id), this.keys.checkpoint(id), this.keys.points(id)],
      [
        JSON.stringify(error),
        new Date().toISOString(),
        this.finishedTtlSeconds,
        this.keys.events(id),
        this.keys.finishedChannel,
        JSON.stringify({ id, status: 'failed', iterations: null, wallMs: null } satisfies FinishedJob),
      ],
    );
    return reply === 1;
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

  /** Saved only while the job is running (a late write never outlives its finished job). */
  async saveCheckpoint(id: string, checkpoint: RunCheckpoint): Promise<void> {
    await runScript(
      this.redis,
      'descentSaveCheckpoint',
      [this.keys.job(id), this.keys.checkpoint(id)],
      [JSON.stringify(checkpoint)],
    );
  }

  async loadCheckpoint(id: string): Promise<RunCheckpoint | null> {
    return parseJson<RunCheckpoint>((await this.redis.get(this.keys.checkpoint(id))) ?? undefined);
  }

  async params(id: string, which: 'final' | 'best'): Promise<Float64Array | null> {
    const bytes = await this.redis.hgetBuffer(this.keys.params(id), which);
    return bytes === null ? null : float64FromBytes(bytes);
  }
}
