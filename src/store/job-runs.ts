import type { Redis } from 'ioredis';
import type { RunCheckpoint } from '../core/run.ts';
import type { Result, TrajectoryPoint } from '../core/types.ts';
import type { JobSpec } from '../schemas/job-spec.ts';
import type { FinishedJob, JobError, JobProgress, JobRecord, JobRunsContract } from './contract.ts';
import { float64Bytes } from './float64.ts';
import { decodeJobRecord, flatToObject, parseJson } from './job-codec.ts';
import { StoreKeys } from './keys.ts';
import { runScript, runScriptInOrder } from './scripts.ts';

/**
 * What a worker's JobLife (workers/job-life.ts) writes while its job runs: begin, points,
 * progress, checkpoints, and the end (finish, finishUnstarted, fail). The API's side of a record
 * (create, read, list, cancel, remove) is job-submissions.ts and job-records.ts; layout in
 * contract.ts.
 *
 * Every status transition is one Lua script, so transitions are atomic: a finished job never goes
 * back to running, and of a cancel racing a finish exactly one wins.
 *
 * Points go to one Redis Stream per job, `{p}:job:{id}:points`. A point's entry id is `{i}-1`
 * (0-0 is not a valid stream id, hence sequence 1), derived from its iteration, and its one field
 * `p` (trajectory.ts: POINT_FIELD) holds the point's JSON. A batch is appended by one Lua script
 * that skips every point whose id is not above the stream's last: one round trip per batch, and a
 * job retried after a crash can never write a point twice. The stream is read by trajectory.ts.
 */

export interface JobRunsOptions {
  /** Seconds a finished job (record, trajectory, params) is kept; 0: forever. */
  finishedTtlSeconds?: number;
}

/** The script arguments of points: i1, json1, i2, json2, … (appended to `out`). */
export function pointArgs(
  points: readonly TrajectoryPoint[],
  out: (string | number | Buffer)[] = [],
): (string | number | Buffer)[] {
  for (let k = 0; k < points.length; k++) out.push(String(points[k].i), JSON.stringify(points[k]));
  return out;
}

export class JobRuns implements JobRunsContract {
  readonly keys: StoreKeys;
  private readonly redis: Redis;
  private readonly finishedTtlSeconds: number;

  constructor(redis: Redis, prefix: string, options: JobRunsOptions = {}) {
    this.redis = redis;
    this.keys = new StoreKeys(prefix);
    this.finishedTtlSeconds = options.finishedTtlSeconds ?? 0;
  }

  /**
   * The record, whoever's it is, or null when missing: what a worker reads of a job it does not
   * begin (a GPU worker choosing the device, a life telling a missing job from a finished one).
   */
  async get(id: string): Promise<JobRecord | null> {
    return decodeJobRecord(await this.redis.hgetall(this.keys.job(id)));
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

  /** Appends in one round trip; skips points not above the last stored i. Resolves to the count added. */
  async append(id: string, points: TrajectoryPoint[]): Promise<number> {
    if (points.length === 0) return 0;
    return (await runScript(
      this.redis,
      'descentAppendPoints',
      [this.keys.points(id), this.keys.job(id)],
      pointArgs(points),
    )) as number;
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
}
