import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Run, type RunCheckpoint } from '../src/core/run.ts';
import type { StopReason, TrajectoryPoint } from '../src/core/types.ts';
import { INLINE_SLICE_MS, runsInline } from '../src/queue/inline.ts';
import type { JobSpec } from '../src/schemas/job-spec.ts';
import type { JobRecord } from '../src/store/contract.ts';
import type { JobStore } from '../src/store/jobs.ts';
import type { TrajectoryStore } from '../src/store/trajectory.ts';

/**
 * Drives one job's run to its end (or hands it back), writing everything through the store.
 *
 * A job starts on the worker's main thread (`driveFirstSlice`): a small run (runsInline) gets
 * one slice of at most INLINE_SLICE_MS there, and one that ends within it — most tiny jobs — is
 * finished without a hop to a worker thread, with one script that stores its points, result,
 * params and status and announces it. A run that is not small, or not done after its slice,
 * continues on a worker thread (`driveJob`, from the checkpoint the slice wrote), so a long
 * CPU-bound run never blocks the main thread, its lock renewal or the cancels it forwards.
 * Measured on 2 cores (sphere dim 2, 1 iteration, concurrency 2, worker alone on pre-queued
 * jobs): every job on a thread, ~600 jobs/s, the worker mostly idle, waiting on messages between
 * threads and on three sequential round trips; first slice inline, ~1,900 jobs/s; inline from
 * the queue entry's spec with the store script pipelined behind (see driveFirstSlice), ~2,400.
 *
 * `driveJob`, on a thread:
 *
 *   - the run advances in ~20 ms slices and yields to the event loop between them, so a cancel
 *     or hand-back message is seen within a slice;
 *   - points are flushed as one batch every FLUSH_POINTS points or FLUSH_MS, whichever first
 *     (never a round trip per iteration); writes are pipelined on the connection while the run
 *     goes on, at most MAX_WRITES_IN_FLIGHT at a time;
 *   - progress every PROGRESS_MS (its reply doubles as a cancel check, a fallback to pub/sub);
 *   - a checkpoint every checkpointIntervalMs, written only after every earlier point is
 *     stored, so a resumed run never skips a point;
 *   - at the end every point is stored before the job is marked finished: the last batch goes
 *     in the finishing script itself, right when the run is done (no timer wait).
 *
 * Abort reasons: HAND_BACK (worker shutdown: checkpoint, then give the job back to the queue)
 * or anything else (a user cancel: the run stops with stopReason `cancelled`).
 */

export const HAND_BACK = 'hand-back';
export const CANCEL = 'cancel';

const SLICE_MS = 20;

const FLUSH_POINTS = 500;
const FLUSH_MS = 50;
const PROGRESS_MS = 250;
/** Largest batch of points in one append (keeps one script call's arguments modest). */
const MAX_BATCH = 2000;
const MAX_WRITES_IN_FLIGHT = 4;

export interface DriveOptions {
  jobId: string;
  jobs: JobStore;
  trajectories: TrajectoryStore;
  checkpointIntervalMs: number;
  /** result.x and best.x are inlined up to this dimension. */
  inlineParamsMaxDim: number;
  signal?: AbortSignal;
  /** Milliseconds, monotonic (tests). */
  clock?: () => number;
}

export type DriveOutcome =
  | { outcome: 'skipped'; reason: 'missing' | 'finished' }
  | {
      outcome: 'finished';
      status: 'completed' | 'cancelled';
      stopReason: StopReason;
      iterations: number;
      resumedFrom: number | null;
      /** False when another run of the same job had already finished it. */
      recorded: boolean;
    }
  | { outcome: 'handed_back'; iteration: number; resumedFrom: number | null };

/** `driveFirstSlice` left the run to a worker thread: its points and a checkpoint are stored. */
export type FirstSliceOutcome =
  | DriveOutcome
  | {
      outcome: 'unfinished';
      /** Where the stored checkpoint is (null: the run was not started here). */
      iteration: number | null;
      resumedFrom: number | null;
    }
  | {
      /**
       * Finished, and the script that stores it is sent, its reply not awaited (`detached`):
       * `finished.recorded` is then an expectation, `stored` the script's answer.
       */
      outcome: 'storing';
      finished: Extract<DriveOutcome, { outcome: 'finished' }>;
      stored: Promise<'finished' | 'gone' | 'cancel_requested'>;
    };

/** Store writes issued without waiting, in order on one connection; errors surface at `drain`. */
class Writes {
  private readonly inFlight: Promise<unknown>[] = [];
  private error: unknown = null;

  async push(write: Promise<unknown>): Promise<void> {
    this.inFlight.push(
      write.catch((error: unknown) => {
        this.error ??= error;
      }),
    );
    while (this.inFlight.length > MAX_WRITES_IN_FLIGHT) await this.inFlight.shift();
    this.throwIfFailed();
  }

  async drain(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight.shift();
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.error !== null) throw this.error;
  }
}

/** Why a job was not started: its record is gone, or it has already finished. */
async function skipped(jobs: JobStore, jobId: string): Promise<DriveOutcome> {
  return { outcome: 'skipped', reason: (await jobs.get(jobId)) === null ? 'missing' : 'finished' };
}

/** The run of a begun job, cancelled at once when a cancel was requested before it started. */
function startRun(record: JobRecord, checkpoint: RunCheckpoint | null, signal: AbortSignal | undefined): Run {
  const run = new Run(record.spec, checkpoint ? { checkpoint } : {});
  if (record.cancelRequested || (signal?.aborted && signal.reason !== HAND_BACK)) run.cancel();
  return run;
}

/**
 * Stores a finished run: earlier batches first, then the last batch (<= MAX_BATCH points)
 * together with the result, params and status in one script.
 */
async function finishRun(
  options: DriveOptions,
  run: Run,
  points: TrajectoryPoint[],
  maxIterations: number,
  resumedFrom: number | null,
): Promise<DriveOutcome> {
  const { jobId, jobs, trajectories } = options;
  while (points.length > MAX_BATCH) await trajectories.append(jobId, points.splice(0, MAX_BATCH));
  const result = run.result(options.inlineParamsMaxDim);
  const status = result.stopReason === 'cancelled' ? 'cancelled' : 'completed';
  const params = { final: run.finalX(), best: run.bestParams() };
  const recorded = await jobs.finish(jobId, status, result, params, maxIterations, points);
  return {
    outcome: 'finished',
    status,
    stopReason: result.stopReason,
    iterations: result.iterations,
    resumedFrom,
    recorded,
  };
}

/** A run built from the queue entry's spec before the job was begun, with its points so far. */
interface FreshRun {
  run: Run;
  points: TrajectoryPoint[];
}

/**
 * Begins the job (marks it running, reads its record and checkpoint), runs its first slice (or
 * adopts `fresh`, when that run is the job's run from its start: no checkpoint and no cancel
 * request), then finishes it, or stores its points and a checkpoint for a worker thread.
 */
async function beginFirstSlice(
  options: DriveOptions,
  sliceMs: number,
  fresh: FreshRun | null,
): Promise<FirstSliceOutcome> {
  const { jobId, jobs, trajectories, signal } = options;
  const begun = await jobs.begin(jobId);
  if (begun === null) return skipped(jobs, jobId);
  const { record, checkpoint } = begun;
  const resumedFrom = checkpoint ? checkpoint.iteration : null;
  let run: Run;
  let points: TrajectoryPoint[];
  if (fresh !== null && checkpoint === null && !record.cancelRequested) {
    ({ run, points } = fresh);
  } else {
    if (!runsInline(record.spec)) return { outcome: 'unfinished', iteration: null, resumedFrom };
    run = startRun(record, checkpoint, signal);
    run.advance(sliceMs);
    points = run.takePoints();
  }
  if (run.done) return finishRun(options, run, points, record.spec.stop.maxIterations, resumedFrom);
  while (points.length > 0) await trajectories.append(jobId, points.splice(0, MAX_BATCH));
  await jobs.saveCheckpoint(jobId, run.checkpoint());
  return { outcome: 'unfinished', iteration: run.iteration, resumedFrom };
}

/**
 * A job's first slice, on the worker's main thread (see the top of this file). Finishes a small
 * run that ends within `sliceMs`; otherwise stores the points so far and a checkpoint (after
 * them) and answers `unfinished`: the caller hands the job to a worker thread, whose `driveJob`
 * resumes exactly there. A run that is not small is left to the thread untouched.
 *
 * With `spec` (a small run's queue entry carries its record's spec) the run starts before any
 * read of the record: runs are deterministic, so a run from the start is the job's run even when
 * an earlier attempt left a checkpoint. When it ends within the slice with at most a batch of
 * points, JobStore.finishUnstarted stores it in one script, and no `begin` round trip is spent.
 * Anything else (not done, more points, a cancel request from an earlier attempt) goes through
 * `begin` as above.
 *
 * `detached` (the caller's promise that no worker ever started this job before: BullMQ's
 * attemptsStarted is 1) returns as soon as that script is sent, as `storing`: the worker then
 * lets BullMQ complete the queue entry without waiting for the reply. The script goes out first,
 * on the connection BullMQ's own commands share, as EVAL (never a NOSCRIPT retry), so Redis
 * runs it before BullMQ's completion; on a first start none of its answers needs the queue
 * entry back (`gone`: cancelled while queued or deleted; `cancel_requested` only arises when
 * another attempt began the job, which then owns it), and the caller marks the job failed if
 * the script fails. It saves the worker a round trip on each tiny job's critical path.
 */
export async function driveFirstSlice(
  options: DriveOptions & { spec?: JobSpec; sliceMs?: number; detached?: boolean },
): Promise<FirstSliceOutcome> {
  const sliceMs = options.sliceMs ?? INLINE_SLICE_MS;
  const { spec, jobId, jobs } = options;
  if (spec === undefined || !runsInline(spec)) return beginFirstSlice(options, sliceMs, null);
  const run = new Run(spec);
  const done = run.advance(sliceMs);
  const points = run.takePoints();
  if (!done || points.length > MAX_BATCH) return beginFirstSlice(options, sliceMs, { run, points });
  const result = run.result(options.inlineParamsMaxDim);
  const status = result.stopReason === 'cancelled' ? 'cancelled' : 'completed';
  const params = { final: run.finalX(), best: run.bestParams() };
  const storing = jobs.finishUnstarted(jobId, status, result, params, spec.stop.maxIterations, points);
  const finished = {
    outcome: 'finished',
    status,
    stopReason: result.stopReason,
    iterations: result.iterations,
    resumedFrom: null,
    recorded: true,
  } as const;
  if (options.detached) return { outcome: 'storing', finished, stored: storing };
  const stored = await storing;
  if (stored === 'gone') return skipped(jobs, jobId);
  if (stored === 'cancel_requested') return beginFirstSlice(options, sliceMs, null);
  return finished;
}

export async function driveJob(options: DriveOptions): Promise<DriveOutcome> {
  const { jobId, jobs, trajectories, signal } = options;
  const clock = options.clock ?? (() => performance.now());

  const begun = await jobs.begin(jobId);
  if (begun === null) return skipped(jobs, jobId);
  const { record, checkpoint } = begun;
  const run = startRun(record, checkpoint, signal);
  const resumedFrom = checkpoint ? checkpoint.iteration : null;
  const maxIterations = record.spec.stop.maxIterations;

  let handBack = false;
  const onAbort = () => {
    if (signal?.reason === HAND_BACK) handBack = true;
    else run.cancel();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  const writes = new Writes();
  let buffer: TrajectoryPoint[] = run.takePoints();
  /** Writes batches until at most `keep` points are left in the buffer. */
  const flush = async (keep = 0) => {
    while (buffer.length > keep) {
      const batch = buffer.length > MAX_BATCH ? buffer.splice(0, MAX_BATCH) : buffer;
      if (batch === buffer) buffer = [];
      await writes.push(trajectories.append(jobId, batch));
    }
  };
  const reportProgress = async () => {
    const { iteration, f, gradNorm } = run.progress();
    await writes.push(
      jobs.setProgress(jobId, { iteration, maxIterations, f, gradNorm }).then((cancelRequested) => {
        if (cancelRequested) run.cancel();
      }),
    );
  };

  try {
    let lastFlush = clock();
    let lastProgress = Number.NEGATIVE_INFINITY;
    let lastCheckpoint = lastFlush;
    while (!handBack) {
      const done = run.advance(SLICE_MS);
      const fresh = run.takePoints();
      for (let k = 0; k < fresh.length; k++) buffer.push(fresh[k]);
      if (done) break;
      const now = clock();
      if (buffer.length >= FLUSH_POINTS || now - lastFlush >= FLUSH_MS) {
        await flush();
        lastFlush = now;
      }
      if (now - lastProgress >= PROGRESS_MS) {
        await reportProgress();
        lastProgress = now;
      }
      if (now - lastCheckpoint >= options.checkpointIntervalMs) {
        await flush();
        await writes.drain();
        await jobs.saveCheckpoint(jobId, run.checkpoint());
        lastCheckpoint = clock();
      }
      await yieldToEventLoop();
    }

    if (!run.done) {
      // Hand-back: the checkpoint is written after every point before it, so the next worker
      // continues exactly here.
      await flush();
      await writes.drain();
      await jobs.saveCheckpoint(jobId, run.checkpoint());
      return { outcome: 'handed_back', iteration: run.iteration, resumedFrom };
    }
    // Done: no wait for the flush timer. Earlier writes must have succeeded before the job is
    // marked finished; the last batch is stored by the finishing script itself.
    await flush(MAX_BATCH);
    await writes.drain();
    const last = buffer;
    buffer = [];
    return await finishRun(options, run, last, maxIterations, resumedFrom);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Let writes already issued settle before a failure propagates (no unhandled rejections).
    await writes.drain().catch(() => undefined);
  }
}
