import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Run } from '../src/core/run.ts';
import type { StopReason, TrajectoryPoint } from '../src/core/types.ts';
import type { JobStore } from '../src/store/jobs.ts';
import type { TrajectoryStore } from '../src/store/trajectory.ts';

/**
 * Drives one job's run to its end (or hands it back), writing everything through the store:
 *
 *   - the run advances in ~20 ms slices and yields to the event loop between them, so a cancel
 *     or hand-back message is seen within a slice;
 *   - points are flushed as one batch every FLUSH_POINTS points or FLUSH_MS, whichever first
 *     (never a round trip per iteration); writes are pipelined on the connection while the run
 *     goes on, at most MAX_WRITES_IN_FLIGHT at a time;
 *   - progress every PROGRESS_MS (its reply doubles as a cancel check, a fallback to pub/sub);
 *   - a checkpoint every checkpointIntervalMs, written only after every earlier point is
 *     stored, so a resumed run never skips a point;
 *   - at the end every point is stored before the job is marked finished.
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

export async function driveJob(options: DriveOptions): Promise<DriveOutcome> {
  const { jobId, jobs, trajectories, signal } = options;
  const clock = options.clock ?? (() => performance.now());

  const begun = await jobs.begin(jobId);
  if (begun === null) {
    return { outcome: 'skipped', reason: (await jobs.get(jobId)) === null ? 'missing' : 'finished' };
  }
  const { record, checkpoint } = begun;
  const run = new Run(record.spec, checkpoint ? { checkpoint } : {});
  const resumedFrom = checkpoint ? checkpoint.iteration : null;
  const maxIterations = record.spec.stop.maxIterations;

  let handBack = false;
  const onAbort = () => {
    if (signal?.reason === HAND_BACK) handBack = true;
    else run.cancel();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  if (record.cancelRequested) run.cancel();

  const writes = new Writes();
  let buffer: TrajectoryPoint[] = run.takePoints();
  const flush = async () => {
    while (buffer.length > 0) {
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
    // A job that ends within its first slice costs three round trips: begin, append, finish.
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

    await flush();
    await writes.drain();
    if (!run.done) {
      // Hand-back: the checkpoint is written after every point before it, so the next worker
      // continues exactly here.
      await jobs.saveCheckpoint(jobId, run.checkpoint());
      return { outcome: 'handed_back', iteration: run.iteration, resumedFrom };
    }
    const result = run.result(options.inlineParamsMaxDim);
    const status = result.stopReason === 'cancelled' ? 'cancelled' : 'completed';
    const params = { final: run.finalX(), best: run.bestParams() };
    const recorded = await jobs.finish(jobId, status, result, params, maxIterations);
    return {
      outcome: 'finished',
      status,
      stopReason: result.stopReason,
      iterations: result.iterations,
      resumedFrom,
      recorded,
    };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Let writes already issued settle before a failure propagates (no unhandled rejections).
    await writes.drain().catch(() => undefined);
  }
}
