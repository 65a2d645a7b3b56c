import type { BatchSamplerState } from './data/batch-sampler.ts';
import type { RngState } from './random.ts';
import { recordStride } from './recording.ts';
import type { JobSpec } from './spec.ts';
import type { EvaluationCounts, PlainState, StopReason } from './types.ts';
import type { ValidationState } from './validation-state.ts';

/**
 * What the CPU Run (run.ts) and the device run (backends/gpu-run.ts) share besides the iteration
 * semantics: the checkpoint's state layout, which each resumes from the other's, the recording
 * stride, the `converged` rule, the diagnostics' stationarity floor and the default clock.
 */

/** ‖g‖ below which the final point is classified as stationary in the diagnostics (or gradTol if larger). */
export const STATIONARY_GRAD_NORM = 1e-6;

/** The state inside a RunCheckpoint (encoded with plain-state.ts), as both runs write and read it. */
export interface CheckpointState {
  x: Float64Array;
  f: number;
  /** Present when a CPU run's checkpoint was taken while diagnosing (absent in older checkpoints). */
  stopped?: { stopReason: StopReason; gradNorm: number } | null;
  f0: number;
  prevF: number;
  lr: number;
  /** x null: the best iterate is x itself. */
  best: { iteration: number; f: number; x: Float64Array | null };
  /** The CPU optimizer's state layout (a device run writes its arrays into it). */
  optimizer: PlainState;
  schedule: PlainState;
  /** The gradient-noise PRNG; null without noise (always, on a device). */
  noise: RngState | null;
  evaluations: EvaluationCounts;
  elapsedMs: number;
  lastRecorded: number;
  /**
   * Model runs (CPU or device): the batch sampler's position and the validation state (absent in
   * older checkpoints; a device run's values are float32, widened).
   */
  data?: { sampler: BatchSamplerState | null; validation: ValidationState | null } | null;
}

/**
 * The default clock. One function for every run (not a closure per run): the loop calls it, and
 * a new call target per run makes V8 deoptimize the loop (the same holds for optimizers and
 * schedules, which are classes for that reason).
 */
export function monotonicClock(): number {
  return performance.now();
}

/** The recording stride (recording.ts), capped at maxIterations + 1 (no further multiple is reached) so it stays a small integer. */
export function runStride(spec: JobSpec): number {
  return Math.min(
    recordStride(spec.record.every, spec.stop.maxIterations, spec.record.maxPoints),
    spec.stop.maxIterations + 1,
  );
}

/** Whether a run that stopped for `stopReason` converged: grad_tol, f_tol or target_value. */
export function isConverged(stopReason: StopReason): boolean {
  return stopReason === 'grad_tol' || stopReason === 'f_tol' || stopReason === 'target_value';
}
