import { type JobSpec, objectiveDim } from '../core/spec.ts';

/**
 * Which runs start on the worker's main thread instead of a worker thread (see workers/job-life.ts). Shared
 * by the API, which puts a small run's spec in its queue entry (src/queue/job-queue.ts), and the workers.
 */

/**
 * The first slice, on the worker's main thread. Short enough that neither lock renewal (every
 * lockDuration / 2) nor the cancel of another job (forwarded by this thread) waits noticeably.
 */
export const INLINE_SLICE_MS = 5;
/**
 * Runs small enough to start on the main thread: building the objective and the final
 * diagnostics (a dim × dim Hessian eigendecomposition) stay around a millisecond or two. Measured
 * cold: a rotated quadratic with newton costs ~3 ms at dim 16 but ~30 ms at dim 32; an expression
 * of ~100 characters compiles in a few ms, one of ~200 in up to ~20 ms.
 */
export const INLINE_MAX_DIM = 16;
export const INLINE_MAX_EXPRESSION_LENGTH = 120;

/**
 * Whether a run is small enough to start on the worker's main thread (see INLINE_MAX_DIM). A model
 * run never is, whatever its dimension: it needs its data set, which the run threads read and
 * cache (workers/dataset-cache.ts), and its cost is in its rows, not its parameters.
 */
export function runsInline(spec: JobSpec): boolean {
  if (spec.objective.type === 'model' || objectiveDim(spec.objective) > INLINE_MAX_DIM) return false;
  return (
    spec.objective.type !== 'expression' || spec.objective.expression.length <= INLINE_MAX_EXPRESSION_LENGTH
  );
}
