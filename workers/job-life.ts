import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Dataset } from '../src/core/data/dataset.ts';
import { Run, type RunCheckpoint } from '../src/core/run.ts';
import type { JobSpec } from '../src/core/spec.ts';
import type { Result, StopReason, TrajectoryPoint } from '../src/core/types.ts';
import { INLINE_SLICE_MS, runsInline } from '../src/queue/inline.ts';
import type { JobRecord } from '../src/store/contract.ts';
import type { JobRuns } from '../src/store/job-runs.ts';
import type { CreateRun, LiveRun } from './live-run.ts';
import { PendingWrites } from './pending-writes.ts';

/**
 * The life of one job, from its queue entry to its end: the only module that moves a job through
 * the store and advances its run. Each step calls the store or the core once:
 *
 *   queued ──finishInline──► ended       a small run done within one slice on the worker's main
 *     │                                  thread, stored by one script (finishUnstarted)
 *     │ └──────────────────► to_thread   anything else: a Handover for a worker thread
 *     └──run(handover)─begin─► running ──slices──► ended   finish, or hand back (checkpoint)
 *   any phase ──fail──► ended            the processor failed on its last attempt
 *
 * The two uses, on two threads: `finishInline` on the worker's main thread (workers/processor.ts)
 * and `run` on a worker thread (workers/thread.ts), handed over by a structured-cloneable
 * Handover. The main thread only ever runs a small spec's first slice of at most INLINE_SLICE_MS,
 * so lock renewal and the cancels it forwards never wait on CPU work; a run that is large, or
 * not done within that slice, runs on a thread.
 *
 * Measured on 2 cores (sphere dim 2, 1 iteration, concurrency 2, worker alone on pre-queued
 * jobs): every job on a thread, ~600 jobs/s, the worker mostly idle, waiting on messages between
 * threads and on three sequential round trips; first slice inline, ~1,900 jobs/s; inline from
 * the queue entry's spec with the store script pipelined behind (finishInline), ~2,400.
 *
 * `run`, on a thread:
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
 * Abort reasons (the job's AbortSignal): HAND_BACK (worker shutdown: checkpoint, then the job
 * goes back to the queue) or anything else (a user cancel: the run stops with `cancelled`).
 *
 * `run` drives a LiveRun: the CPU core's Run on a thread, or, with `LifeContext.createRun`, a
 * device's GpuRun on the worker's main thread (workers/device-jobs.ts), whose advance, checkpoint
 * and result resolve when the device answers; the loop is the same.
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

/** What a job's life needs around it: one Redis connection's store of runs and the worker's settings. */
export interface LifeContext {
  runs: JobRuns;
  checkpointIntervalMs: number;
  /** result.x and best.x are inlined up to this dimension. */
  inlineParamsMaxDim: number;
  /** Milliseconds, monotonic (tests). */
  clock?: () => number;
  /** The data set of a model run (a run thread's cache, or the GPU path's: workers/dataset-cache.ts); absent: no model runs here. */
  datasets?: { forSpec(spec: JobSpec): Promise<Dataset | undefined> };
  /** Builds the run of `run` (default: the CPU core's Run); a GPU worker's builds a GpuRun. */
  createRun?: CreateRun;
}

type Finished = {
  outcome: 'finished';
  status: 'completed' | 'cancelled';
  stopReason: StopReason;
  iterations: number;
  /** The stored checkpoint the run resumed from (null: it ran from its start). */
  resumedFrom: number | null;
  /** False when another run of the same job had already finished it. */
  recorded: boolean;
};

/** How a job's life ended on this worker (BullMQ's return value for the queue entry). */
export type JobOutcome =
  | { outcome: 'skipped'; reason: 'missing' | 'finished' }
  | Finished
  | {
      outcome: 'handed_back';
      /** Where the stored checkpoint is (null: nothing was stored, the job restarts as it was). */
      iteration: number | null;
      resumedFrom: number | null;
    };

/** A job handed from the main thread to a worker thread (structured-cloneable). */
export interface Handover {
  jobId: string;
  /**
   * The first slice run on the main thread from the queue entry's spec, not stored: its
   * checkpoint and points. The thread adopts it when it is the job's run from its start (no
   * stored checkpoint, no cancel request), and otherwise drops it.
   */
  fresh?: { checkpoint: RunCheckpoint; points: TrajectoryPoint[] };
}

/** `finishInline`'s outcomes. */
export type InlineOutcome =
  | Exclude<JobOutcome, { outcome: 'handed_back' }>
  | {
      /**
       * Finished, and the script that stores it is sent, its reply not awaited (`detached`):
       * `finished.recorded` is then an expectation, `stored` the script's answer.
       */
      outcome: 'storing';
      finished: Finished;
      stored: Promise<'finished' | 'gone' | 'cancel_requested'>;
    }
  | { outcome: 'to_thread'; handover: Handover };

/** queued: nothing done yet; running: begun in the store; ended: finished, handed back, skipped or failed. */
export type LifePhase = 'queued' | 'running' | 'ended';

export class JobLife {
  private current: LifePhase = 'queued';

  constructor(
    readonly jobId: string,
    private readonly context: LifeContext,
    private readonly signal?: AbortSignal,
  ) {}

  get phase(): LifePhase {
    return this.current;
  }

  /**
   * On the worker's main thread. A small run (`spec` from the queue entry, runsInline) gets one
   * slice of at most `sliceMs`, before any read of the record: runs are deterministic, so a run
   * from the start is the job's run even when an earlier attempt left a checkpoint. One that ends
   * within it with at most a batch of points is stored by JobRuns.finishUnstarted in one script
   * (queued → completed | cancelled). Anything else goes to a thread: a run not done within the
   * slice with its checkpoint and points (not stored), and a job without a spec in its entry
   * (too large for this thread), with too many points, or cancelled while an earlier attempt ran
   * it, untouched.
   *
   * `detached` (the caller's promise that no worker ever started this job before: BullMQ's
   * attemptsStarted is 1) returns as soon as the script is sent, as `storing`: the caller then
   * lets BullMQ complete the queue entry without waiting for the reply. The script goes out first,
   * on the connection BullMQ's own commands share, as EVAL (never answered NOSCRIPT and resent:
   * src/store/scripts.ts), so Redis runs it before BullMQ's completion; on a first start none of
   * its answers needs the queue entry back (`gone`: cancelled while queued or deleted;
   * `cancel_requested` only arises when another attempt began the job, which then owns it), and
   * the caller fails the job if the script fails. It saves a round trip on each tiny job's path.
   */
  async finishInline(
    spec: JobSpec | undefined,
    detached: boolean,
    sliceMs = INLINE_SLICE_MS,
  ): Promise<InlineOutcome> {
    this.expect('queued');
    if (spec === undefined || !runsInline(spec)) return this.toThread({ jobId: this.jobId });
    const run = new Run(spec);
    const done = run.advance(sliceMs);
    const points = run.takePoints();
    if (!done) return this.toThread({ jobId: this.jobId, fresh: { checkpoint: run.checkpoint(), points } });
    if (points.length > MAX_BATCH) return this.toThread({ jobId: this.jobId });
    const { status, result, params, finished } = this.ending(
      run.result(this.context.inlineParamsMaxDim),
      { final: run.finalX(), best: run.bestParams() },
      null,
    );
    const { runs } = this.context;
    const stored = runs.finishUnstarted(this.jobId, status, result, params, spec.stop.maxIterations, points);
    if (detached) {
      this.current = 'ended';
      return { outcome: 'storing', finished, stored };
    }
    const answer = await stored;
    if (answer === 'gone') return this.skipped();
    if (answer === 'cancel_requested') return this.toThread({ jobId: this.jobId });
    this.current = 'ended';
    return finished;
  }

  /**
   * On a worker thread: begins the job (queued → running, reading its record and checkpoint),
   * runs it in slices, and finishes it or, on HAND_BACK, stores a checkpoint after every point.
   */
  async run(handover: Handover): Promise<JobOutcome> {
    this.expect('queued');
    const { runs } = this.context;
    const { jobId, signal } = this;
    const clock = this.context.clock ?? (() => performance.now());

    const begun = await runs.begin(jobId);
    if (begun === null) return this.skipped();
    this.current = 'running';
    const { run, points, resumedFrom } = await this.startRun(begun, handover);
    const maxIterations = begun.record.spec.stop.maxIterations;

    let handBack = false;
    const onAbort = () => {
      if (signal?.reason === HAND_BACK) handBack = true;
      else run.cancel();
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });

    const writes = new PendingWrites(MAX_WRITES_IN_FLIGHT);
    let buffer = points;
    /** Writes batches until at most `keep` points are left in the buffer. */
    const flush = async (keep = 0) => {
      while (buffer.length > keep) {
        const batch = buffer.length > MAX_BATCH ? buffer.splice(0, MAX_BATCH) : buffer;
        if (batch === buffer) buffer = [];
        await writes.push(runs.append(jobId, batch));
      }
    };
    const checkpoint = async () => {
      await flush();
      await writes.drain();
      await runs.saveCheckpoint(jobId, await run.checkpoint());
    };

    try {
      let lastFlush = clock();
      let lastProgress = Number.NEGATIVE_INFINITY;
      let lastCheckpoint = lastFlush;
      while (!handBack) {
        const done = await run.advance(SLICE_MS);
        const fresh = run.takePoints();
        for (let k = 0; k < fresh.length; k++) buffer.push(fresh[k]);
        if (done) break;
        const now = clock();
        if (buffer.length >= FLUSH_POINTS || now - lastFlush >= FLUSH_MS) {
          await flush();
          lastFlush = now;
        }
        if (now - lastProgress >= PROGRESS_MS) {
          const { iteration, f, gradNorm } = run.progress();
          const progress = runs.setProgress(jobId, { iteration, maxIterations, f, gradNorm });
          await writes.push(progress.then((cancelRequested) => cancelRequested && run.cancel()));
          lastProgress = now;
        }
        if (now - lastCheckpoint >= this.context.checkpointIntervalMs) {
          await checkpoint();
          lastCheckpoint = clock();
        }
        await yieldToEventLoop();
      }

      if (!run.done) {
        // Hand-back: the checkpoint is written after every point before it, so the next worker
        // continues exactly here.
        await checkpoint();
        this.current = 'ended';
        return { outcome: 'handed_back', iteration: run.iteration, resumedFrom };
      }
      // Done: no wait for the flush timer. Earlier writes must have succeeded before the job is
      // marked finished; the last batch (at most MAX_BATCH points) is stored by the finishing
      // script itself.
      await flush(MAX_BATCH);
      await writes.drain();
      const last = buffer;
      buffer = [];
      const { status, result, params, finished } = this.ending(
        await run.result(this.context.inlineParamsMaxDim),
        { final: await run.finalX(), best: await run.bestParams() },
        resumedFrom,
      );
      finished.recorded = await runs.finish(jobId, status, result, params, maxIterations, last);
      this.current = 'ended';
      return finished;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // Let writes already issued settle before a failure propagates (no unhandled rejections).
      await writes.drain().catch(() => undefined);
      run.destroy?.();
    }
  }

  /** queued | running → failed (a system error: the processor failed on its last attempt). */
  async fail(error: Error): Promise<boolean> {
    this.current = 'ended';
    return this.context.runs.fail(this.jobId, {
      code: 'worker_error',
      message: error.message || String(error),
    });
  }

  /**
   * The job's run: the main thread's first slice when it is the run from the start (no stored
   * checkpoint, no cancel request), else from the stored checkpoint (or the start); cancelled at
   * once when a cancel was requested before it started.
   */
  private async startRun(
    { record, checkpoint }: { record: JobRecord; checkpoint: RunCheckpoint | null },
    handover: Handover,
  ): Promise<{ run: LiveRun; points: TrajectoryPoint[]; resumedFrom: number | null }> {
    const adopt = handover.fresh !== undefined && checkpoint === null && !record.cancelRequested;
    const from = adopt ? handover.fresh?.checkpoint : (checkpoint ?? undefined);
    // A model run's data set, from the thread's (or the GPU path's) cache.
    const dataset = await this.context.datasets?.forSpec(record.spec);
    const run = this.context.createRun
      ? await this.context.createRun(record.spec, from, dataset)
      : new Run(record.spec, { checkpoint: from, dataset });
    if (record.cancelRequested || (this.signal?.aborted && this.signal.reason !== HAND_BACK)) run.cancel();
    return {
      run,
      points: adopt ? [...(handover.fresh?.points ?? []), ...run.takePoints()] : run.takePoints(),
      resumedFrom: checkpoint ? checkpoint.iteration : null,
    };
  }

  /** A finished run's status, result, params and outcome (`recorded` until the store says otherwise). */
  private ending(
    result: Result,
    params: { final: Float64Array; best: Float64Array },
    resumedFrom: number | null,
  ) {
    const status: 'completed' | 'cancelled' = result.stopReason === 'cancelled' ? 'cancelled' : 'completed';
    const finished: Finished = {
      outcome: 'finished',
      status,
      stopReason: result.stopReason,
      iterations: result.iterations,
      resumedFrom,
      recorded: true,
    };
    return { status, result, params, finished };
  }

  private toThread(handover: Handover): InlineOutcome {
    return { outcome: 'to_thread', handover };
  }

  /** Why a job was not started: its record is gone, or it has already finished. */
  private async skipped(): Promise<{ outcome: 'skipped'; reason: 'missing' | 'finished' }> {
    this.current = 'ended';
    const record = await this.context.runs.get(this.jobId);
    return { outcome: 'skipped', reason: record === null ? 'missing' : 'finished' };
  }

  private expect(phase: LifePhase): void {
    if (this.current !== phase) throw new Error(`job ${this.jobId}: ${this.current}, not ${phase}`);
  }
}
