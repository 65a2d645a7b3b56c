import type { Dataset } from './data/dataset.ts';
import { type DiagnosticsTask, startDiagnostics } from './diagnostics.ts';
import { createObjective } from './objectives/index.ts';
import {
  type DataObjective,
  isDataObjective,
  type ModelMetrics,
} from './objectives/models/data-objective.ts';
import { clipGradient } from './optimizers/clip.ts';
import { createOptimizer } from './optimizers/index.ts';
import { createStepContext, type FullStepContext } from './optimizers/step-context.ts';
import { decodeState, type Encoded, encodeState } from './plain-state.ts';
import { Rng } from './random.ts';
import {
  type CheckpointState,
  isConverged,
  monotonicClock,
  runStride,
  STATIONARY_GRAD_NORM,
} from './run-bookkeeping.ts';
import { createSchedule } from './schedules.ts';
import { type JobSpec, objectiveDim } from './spec.ts';
import { startPoint } from './start-point.ts';
import type {
  DeviceInfo,
  Diagnostics,
  DiagnosticsSkipped,
  EvaluationCounts,
  Objective,
  Optimizer,
  PlainState,
  Result,
  Schedule,
  StopReason,
  TrajectoryPoint,
} from './types.ts';
import { foldValidation, type ValidationState, validationSummary } from './validation-state.ts';

/**
 * The run loop: API.md's iteration semantics, to the letter.
 *
 * Point i = 0 is the start. Step i >= 1 reads the gradient at x₍ᵢ₋₁₎ and produces xᵢ with
 * lrᵢ = lr · s(i − 1); point i reports lrᵢ, and point 0 reports lr₁. After each evaluation the
 * run stops, in this order, on: non-finite f, x or g, or f > 1e12 · max(1, |f₀|) (`diverged`);
 * ‖g‖ <= gradTol; f <= targetValue; |fᵢ − fᵢ₋₁| <= fTol · max(1, |fᵢ|) (i >= 1);
 * i == maxIterations; the time budget; cancellation.
 *
 * Divergence: the result reports the last healthy iterate x₍ᵢ₋₁₎ (its f and ‖g‖), and the
 * trajectory ends with that point; `iterations` still counts the step that diverged.
 *
 * The loop is resumable: `checkpoint()` between steps captures all state as JSON-safe data, and
 * a Run built from it continues bit for bit (the objective is re-evaluated at x, uncounted).
 * Runs advance in time slices (`advance(sliceMs)`) so a driver can flush points, checkpoint and
 * handle cancellation between slices.
 *
 * After the last step come the final diagnostics (diagnostics.ts), in bounded units within the
 * same slices (`phase` is then `diagnosing`). They are part of the run's budget: the time spent
 * building the objective (a rotated quadratic's Q) counts from the constructor on, and before
 * each unit the run checks the time budget and cancellation. Out of time, or cancelled, the
 * diagnostics are skipped: `stationaryPoint` and `conditionNumber` are null and
 * `diagnostics.skipped` says `time_limit` or `cancelled`. The stop reason stays the one the
 * iterations reached (a run that ended `max_iterations` and was cancelled during its diagnostics
 * still reports `max_iterations`: its iterate is complete, only the diagnostics are missing). A
 * checkpoint taken while diagnosing resumes into the diagnostics, which start over.
 *
 * Model objectives (a {@link DataObjective}, objectives/models/data-objective.ts):
 * - batches: after each step and before the evaluation of the new point the objective moves to
 *   its next batch, so step i+1 (its gradient, line searches and Hessians) sees the batch Bᵢ that
 *   gave g(xᵢ), and point i+1 is evaluated on Bᵢ₊₁. With mini-batches a line search's evaluation
 *   at the accepted point (StepContext.evaluated) is of the old batch: the loop evaluates anew.
 * - validation: at every recorded point (and the final one) the validation loss and accuracy
 *   are computed (`valF`, `valAccuracy`): a forward pass over the validation rows, so only there,
 *   not every iteration (normalisation records a model run about once per epoch by default).
 *   These evaluations are not counted in `Result.evaluations` (they are no part of the descent).
 * - with validation rows, `best` is the recorded point of lowest validation loss (not of lowest
 *   f, which with mini-batches is one batch's loss), `result.validation` summarises, the
 *   `plateau` schedule observes the validation loss at those points instead of f, and
 *   `stop.patience` stops the run (`early_stopped`, not converged) after that many validation
 *   evaluations in a row without a strictly lower loss. Its place among the stop rules: after
 *   f_tol, before max_iterations.
 * - a checkpoint carries the sampler's position and the validation state, so a run resumed
 *   mid-epoch continues on the same batches, bit for bit.
 * Nothing of this runs for other objectives: the per-iteration path has one boolean more.
 */

/** Divergence threshold on f relative to the start: f > 1e12 · max(1, |f₀|). */
const EXPLOSION_FACTOR = 1e12;
/** Target spacing of clock reads in the hot loop: time checks cost nothing per iteration. */
const CLOCK_CHECK_MS = 1;
/** Stream tag mixed into the seed for the gradient-noise PRNG. */
const NOISE_STREAM = 0x6e6f6973;
/** Diagnostics that were skipped for `reason` (see Diagnostics.skipped). */
function skipped(reason: DiagnosticsSkipped): Diagnostics {
  return { stationaryPoint: null, conditionNumber: null, skipped: reason };
}

/** Diagnostics when there are none to compute. */
const NO_DIAGNOSTICS: Diagnostics = Object.freeze({ stationaryPoint: null, conditionNumber: null });

export const CHECKPOINT_VERSION = 1;

/** Where the CPU core runs: float64, no adapter. */
export const CPU_DEVICE: Readonly<DeviceInfo> = Object.freeze({
  kind: 'cpu',
  precision: 'float64',
  adapter: null,
});

/** JSON-safe snapshot of a run between two steps. */
export interface RunCheckpoint {
  version: number;
  iteration: number;
  state: Encoded;
  /**
   * 'float32' when some part of the run so far ran in float32 (on a compute device: see
   * backends/gpu-run.ts); absent for a float64 run. A Run resumed from such a checkpoint continues
   * in float64 and reports `device.precision: 'float32'`, and its own checkpoints carry it on.
   */
  precision?: 'float32';
  /** The adapter of the device that wrote the checkpoint (device runs only). */
  adapter?: string | null;
}

export interface RunOptions {
  /** Aborting stops the run at the next iteration with stopReason `cancelled`. */
  signal?: AbortSignal;
  /** Continue from this snapshot instead of starting afresh. */
  checkpoint?: RunCheckpoint;
  /** Milliseconds, monotonic. */
  clock?: () => number;
  /** The data set of a model objective (every row; the split is made from the seed). */
  dataset?: Dataset;
}

/** Where a run is: stepping, computing its final diagnostics, or done. */
export type RunPhase = 'iterating' | 'diagnosing' | 'done';

export interface RunOutput {
  result: Result;
  trajectory: TrajectoryPoint[];
}

export class Run {
  readonly spec: JobSpec;
  readonly dim: number;
  readonly objective: Objective;
  readonly evaluations: EvaluationCounts = { f: 0, gradient: 0, hessian: 0 };
  /** The CPU in float64, or float32 precision once resumed from a device checkpoint (RunCheckpoint.precision). */
  readonly device: DeviceInfo;

  private readonly optimizer: Optimizer;
  private readonly schedule: Schedule;
  private readonly countedObjective: Objective;
  private readonly context: FullStepContext;
  private readonly clock: () => number;
  private readonly stride: number;
  // Stop rules read once from the spec into plain numbers: the checks run every iteration.
  // A disabled targetValue is −∞ and a disabled fTol is −1, so their comparisons never hold.
  private readonly gradTol: number;
  private readonly targetValue: number;
  private readonly fTol: number;
  private readonly maxIterations: number;
  private readonly baseLr: number;
  private readonly clipNorm: number | null;
  private readonly noiseStd: number;
  /** The model objective (uncounted), null for other objectives. */
  private readonly data: DataObjective | null;
  /** Batches change between steps: the step's own evaluation at `next` cannot be reused. */
  private readonly miniBatch: boolean;
  /** A model run with validation rows: best, plateau and patience follow the validation loss. */
  private readonly validating: boolean;
  /** The schedule observes f at every evaluation (plateau, unless it watches the validation loss). */
  private readonly observesF: boolean;
  /** stop.patience, or +∞. */
  private readonly patience: number;

  // Iterates are double-buffered: a step reads x₍ᵢ₎ and writes x₍ᵢ₊₁₎ into another buffer, so
  // the last healthy iterate survives a divergent step without ever being copied.
  /** The current iterate x₍ᵢ₎. */
  private x: Float64Array;
  /** After a step, x₍ᵢ₋₁₎ (the last healthy iterate until x₍ᵢ₎ passes the checks); between steps, the buffer the next step writes into, unless it holds the best iterate. */
  private previous: Float64Array;
  /** Holds the best iterate once it is neither x nor previous (allocated on first need). */
  private reserve: Float64Array | null = null;
  /** The buffer holding the best healthy iterate: x, previous or reserve (null before one). */
  private best: Float64Array | null = null;
  private g: Float64Array;
  /** ‖g‖², written by the evaluation. */
  private readonly normSquared = new Float64Array(1);
  private optimizerState: PlainState;
  private scheduleState: PlainState;
  private noise: Rng | null;

  private i = 0;
  private f = Number.NaN;
  private gradNorm = Number.NaN;
  private f0 = Number.NaN;
  private prevF = Number.NaN;
  private prevGradNorm = Number.NaN;
  private lr = 0;
  private prevLr = 0;
  private bestIteration = 0;
  private bestF = Number.POSITIVE_INFINITY;
  private lastRecorded = -1;
  /** Evaluations until the next multiple of the stride is recorded (0: this one). */
  private untilRecord = 0;
  /** Validation state of a model run (null without validation rows). */
  private validationState: ValidationState | null = null;
  /** Set by a validation evaluation that reaches stop.patience: the run stops `early_stopped`. */
  private patienceExhausted = false;

  private stopReason: StopReason | null = null;
  /** Set by `finish`: the point the result reports (x, or x₍ᵢ₋₁₎ after a divergence), its f and ‖g‖. */
  private finalPoint: Float64Array | null = null;
  private finalF = Number.NaN;
  private finalGradNorm = Number.NaN;
  /** True from `finish` until the diagnostics are computed or skipped. */
  private diagnosticsPending = false;
  private diagnosticsTask: DiagnosticsTask | null = null;
  private diagnostics: Diagnostics = NO_DIAGNOSTICS;
  private readonly budgetMs: number;
  private cancelRequested = false;
  private pending: TrajectoryPoint[] = [];
  private elapsedBefore = 0;
  private segmentStart: number;
  private divergenceLimit = Number.POSITIVE_INFINITY;
  private clockInterval = 1;
  private itersUntilClock = 1;
  private lastClock: number;

  constructor(spec: JobSpec, options: RunOptions = {}) {
    this.spec = spec;
    this.dim = objectiveDim(spec.objective);
    this.device =
      options.checkpoint?.precision === 'float32' ? { ...CPU_DEVICE, precision: 'float32' } : CPU_DEVICE;
    this.clock = options.clock ?? monotonicClock;
    // The run's time starts before the objective is built: a rotated Q is part of the budget.
    this.segmentStart = this.clock();
    this.lastClock = this.segmentStart;
    this.budgetMs = spec.stop.maxSeconds * 1000;
    this.objective = createObjective(spec.objective, spec.seed, options.dataset);
    this.countedObjective = countEvaluations(this.objective, this.evaluations);
    this.optimizer = createOptimizer(spec.optimizer);
    this.schedule = createSchedule(spec.schedule, spec.stop.maxIterations);
    this.data = isDataObjective(this.objective) ? this.objective : null;
    this.miniBatch = this.data?.miniBatch ?? false;
    this.validating = this.data !== null && this.data.data.validation.rows > 0;
    this.observesF = this.schedule.observe !== undefined && !this.validating;
    this.patience = this.validating
      ? (spec.stop.patience ?? Number.POSITIVE_INFINITY)
      : Number.POSITIVE_INFINITY;
    this.stride = runStride(spec);
    this.gradTol = spec.stop.gradTol;
    this.targetValue = spec.stop.targetValue ?? Number.NEGATIVE_INFINITY;
    this.fTol = spec.stop.fTol ?? -1;
    this.maxIterations = spec.stop.maxIterations;
    this.baseLr = spec.optimizer.lr;
    this.clipNorm = spec.optimizer.clipNorm ?? null;
    this.noiseStd = spec.gradientNoise?.std ?? 0;
    this.g = new Float64Array(this.dim);
    this.previous = new Float64Array(this.dim);
    this.context = createStepContext(this.countedObjective);

    if (options.signal) {
      if (options.signal.aborted) this.cancelRequested = true;
      else options.signal.addEventListener('abort', () => this.cancel(), { once: true });
    }

    if (options.checkpoint) {
      this.x = new Float64Array(this.dim);
      this.optimizerState = null;
      this.scheduleState = null;
      this.noise = null;
      this.restore(options.checkpoint);
      return;
    }
    this.x = startPoint(spec, this.dim, this.data);
    this.optimizerState = this.optimizer.init(this.dim);
    this.scheduleState = this.schedule.init();
    this.noise = this.noiseStd > 0 ? Rng.fromSeed(spec.seed ^ NOISE_STREAM) : null;
    this.evaluate(poisonOf(this.x));
    this.f0 = this.f;
    this.divergenceLimit = EXPLOSION_FACTOR * Math.max(1, Math.abs(this.f0));
    this.lr = this.baseLr * this.schedule.factor(0, this.scheduleState);
    this.afterEvaluation();
  }

  /** Whether the run is over: stopped, and its diagnostics computed or skipped. */
  get done(): boolean {
    return this.stopReason !== null && !this.diagnosticsPending;
  }

  get phase(): RunPhase {
    if (this.stopReason === null) return 'iterating';
    return this.diagnosticsPending ? 'diagnosing' : 'done';
  }

  get iteration(): number {
    return this.i;
  }

  /** Latest progress, for job records: the current iteration, f and ‖g‖. */
  progress(): { iteration: number; f: number; gradNorm: number } {
    return { iteration: this.i, f: this.f, gradNorm: this.gradNorm };
  }

  /** Requests a stop; the run ends with `cancelled` at the next iteration boundary. */
  cancel(): void {
    this.cancelRequested = true;
  }

  /**
   * Runs steps until the run stops, `sliceMs` of wall time has passed, or iteration
   * `untilIteration` is reached, then (once stopped) diagnostics units until they are done or
   * the slice is over; returns `done`.
   * Clock reads are spaced about 1 ms apart by counting iterations, so a 2-D problem does not
   * pay for a clock read per step.
   */
  advance(sliceMs = Number.POSITIVE_INFINITY, untilIteration = Number.POSITIVE_INFINITY): boolean {
    const sliceEnd = this.clock() + sliceMs;
    while (this.stopReason === null && this.i < untilIteration) {
      this.step();
      if (this.stopReason !== null) break;
      if (--this.itersUntilClock <= 0 && this.checkClock() >= sliceEnd) break;
    }
    if (this.diagnosticsPending) this.diagnose(sliceEnd);
    return this.done;
  }

  /** Points recorded since the last call, in order. */
  takePoints(): TrajectoryPoint[] {
    const points = this.pending;
    this.pending = [];
    return points;
  }

  /**
   * The full run state between two steps, as JSON-safe data; while diagnosing, the stopped run
   * (its final point, f and ‖g‖), from which a resumed run starts its diagnostics over.
   */
  checkpoint(): RunCheckpoint {
    if (this.done) throw new Error('a finished run has no checkpoint');
    const stopped = this.stopReason !== null;
    const x = stopped ? this.finalPoint! : this.x;
    // null: the best iterate is x itself (the common case, and no second copy of x in the JSON)
    const best = this.best === x ? null : this.best;
    return {
      version: CHECKPOINT_VERSION,
      iteration: this.i,
      ...(this.device.precision === 'float32' ? { precision: 'float32' as const } : {}),
      state: encodeState({
        x,
        f: stopped ? this.finalF : this.f,
        stopped: stopped ? { stopReason: this.stopReason, gradNorm: this.finalGradNorm } : null,
        f0: this.f0,
        prevF: this.prevF,
        lr: this.lr,
        best: { iteration: this.bestIteration, f: this.bestF, x: best },
        optimizer: this.optimizerState,
        schedule: this.scheduleState,
        noise: this.noise ? (this.noise.getState() as unknown as PlainState) : null,
        evaluations: { ...this.evaluations },
        elapsedMs: this.elapsedMs(),
        lastRecorded: this.lastRecorded,
        data:
          this.data === null
            ? null
            : {
                sampler: this.data.samplerState() as PlainState,
                validation: this.validationState as unknown as PlainState,
              },
      }),
    };
  }

  /**
   * The result; only once the run has stopped (pending diagnostics are finished here, within the
   * budget). `inlineMaxDim` nulls x and best.x above that dimension.
   */
  result(inlineMaxDim = Number.POSITIVE_INFINITY): Result {
    const stopReason = this.stopReason;
    if (stopReason === null) throw new Error('the run has not finished');
    if (this.diagnosticsPending) this.diagnose(Number.POSITIVE_INFINITY);
    const finalX = this.finalX();
    const f = this.finalF;
    const gradNorm = this.finalGradNorm;
    const inline = this.dim <= inlineMaxDim;
    const validation = this.validationState;
    const result: Result = {
      stopReason,
      converged: isConverged(stopReason),
      device: { ...this.device },
      x: inline ? Array.from(finalX) : null,
      f,
      gradNorm,
      iterations: this.i,
      evaluations: { ...this.evaluations },
      best:
        validation === null
          ? {
              iteration: this.bestIteration,
              f: this.bestF === Number.POSITIVE_INFINITY ? f : this.bestF,
              x: inline ? Array.from(this.bestParams()) : null,
            }
          : {
              iteration: validation.bestIteration,
              f: validation.bestF,
              x: inline ? Array.from(validation.bestX) : null,
            },
      diagnostics: { ...this.diagnostics },
      wallMs: this.elapsedMs(),
    };
    if (validation !== null) result.validation = validationSummary(validation);
    return result;
  }

  /** Final parameters: the last healthy iterate (x₍ᵢ₋₁₎ after a divergence). */
  finalX(): Float64Array {
    return this.finalPoint ?? this.x;
  }

  /**
   * Diagnostics units until they are done, skipped, or `sliceEnd` has passed (at least one unit
   * per call, so a caller of advance(0) still makes progress). Before each unit: cancellation,
   * then the time budget.
   */
  private diagnose(sliceEnd: number): void {
    const outcome = this.diagnosticsUnits(sliceEnd);
    if (outcome === null) return;
    this.diagnostics = outcome;
    this.diagnosticsTask = null;
    this.diagnosticsPending = false;
  }

  /** The units of `diagnose`; returns the diagnostics once done or skipped, null while pending. */
  private diagnosticsUnits(sliceEnd: number): Diagnostics | null {
    let units = 0;
    for (;;) {
      if (this.cancelRequested) return skipped('cancelled');
      const now = this.clock();
      if (this.elapsedBefore + (now - this.segmentStart) >= this.budgetMs) return skipped('time_limit');
      if (units > 0 && now >= sliceEnd) return null;
      units++;
      if (this.diagnosticsTask === null) {
        if (!Number.isFinite(this.finalF)) return NO_DIAGNOSTICS;
        const stationaryTol = Math.max(this.spec.stop.gradTol, STATIONARY_GRAD_NORM);
        const started = startDiagnostics(this.objective, this.finalX(), this.finalGradNorm, stationaryTol);
        if (!('step' in started)) return started;
        this.diagnosticsTask = started;
      } else if (this.diagnosticsTask.step()) {
        return this.diagnosticsTask.result();
      }
    }
  }

  /**
   * Parameters of the best healthy iterate: of lowest f, or for a model run with validation rows
   * the recorded point of lowest validation loss.
   */
  bestParams(): Float64Array {
    return this.validationState?.bestX ?? this.best ?? this.finalX();
  }

  /** Step i+1: schedule, noise, clipping, update, evaluation, stop checks. */
  private step(): void {
    const g = this.g;
    const dim = this.dim;
    const lr = this.baseLr * this.schedule.factor(this.i, this.scheduleState);
    if (this.noise !== null) {
      const noise = this.noise;
      const std = this.noiseStd;
      for (let j = 0; j < dim; j++) g[j] += std * noise.normal();
    }
    if (this.clipNorm !== null) {
      clipGradient(g, this.clipNorm, this.noise === null ? this.gradNorm : Math.sqrt(sumOfSquares(g)));
    }
    const context = this.context;
    context.f = this.f;
    context.evaluated = false;
    context.lineSearchFailed = false;
    const next = this.writableBuffer();
    const poison = this.optimizer.step(this.x, next, g, lr, this.optimizerState, this.i + 1, context);
    if (context.lineSearchFailed) {
      // No step: the run ends at x₍ᵢ₎, which is recorded as the final point.
      this.finish('line_search_failed');
      return;
    }
    this.prevF = this.f;
    this.prevGradNorm = this.gradNorm;
    this.prevLr = this.lr;
    this.previous = this.x;
    this.x = next;
    this.i++;
    this.lr = lr;
    if (this.miniBatch) {
      // Point i+1 is evaluated on the next batch (the step's own evaluation was of this one).
      this.data?.nextBatch();
      this.evaluate(poison);
    } else if (context.evaluated) this.adoptEvaluation(poison);
    else this.evaluate(poison);
    this.afterEvaluation();
  }

  /**
   * Takes f and ∇f at the new x from the step's line search (already counted): the gradient
   * buffers swap, and ‖g‖ (+ poison) is summed from the handed-over gradient, in index order as
   * an evaluation sums it, so the run is bit for bit the one that would evaluate x again.
   */
  private adoptEvaluation(poison: number): void {
    const context = this.context;
    const g = context.nextGradient;
    context.nextGradient = this.g;
    this.g = g;
    this.f = context.nextF;
    this.gradNorm = Math.sqrt(sumOfSquares(g)) + poison;
  }

  /** The buffer the next step writes into: `previous`, unless it holds the best iterate, which then moves to the reserve. */
  private writableBuffer(): Float64Array {
    if (this.previous !== this.best) return this.previous;
    const free = this.reserve ?? new Float64Array(this.dim);
    this.reserve = this.previous;
    return free;
  }

  /**
   * f and ∇f at x (counted), and ‖g‖. `poison` is Σ x·0 (NaN when an entry of x is not finite),
   * which the step computed in its own pass; adding it makes ‖g‖ NaN, so the divergence check
   * covers x at no cost.
   */
  private evaluate(poison: number): void {
    this.measure(poison);
    this.evaluations.f++;
    this.evaluations.gradient++;
  }

  /** f, ∇f and ‖g‖ (+ poison) at x, uncounted: `evaluate` counts, a restore re-derives. */
  private measure(poison: number): void {
    this.f = valueGradientAndNormSquared(this.objective, this.x, this.g, this.normSquared);
    this.gradNorm = Math.sqrt(this.normSquared[0]) + poison;
  }

  private afterEvaluation(): void {
    const f = this.f;
    this.context.f = f;
    if (!(Number.isFinite(f) && Number.isFinite(this.gradNorm)) || f > this.divergenceLimit) {
      this.finish('diverged');
      return;
    }
    if (this.observesF) this.schedule.observe?.(f, this.scheduleState);
    if (f < this.bestF && !this.validating) {
      this.bestF = f;
      this.bestIteration = this.i;
      this.best = this.x;
    }
    // i % stride === 0, by countdown: no floating-point modulus in the hot loop.
    if (this.untilRecord === 0) {
      this.record();
      this.untilRecord = this.stride;
    }
    this.untilRecord--;
    if (this.gradNorm <= this.gradTol) this.finish('grad_tol');
    else if (f <= this.targetValue) this.finish('target_value');
    else if (this.i >= 1 && Math.abs(f - this.prevF) <= this.fTol * Math.max(1, Math.abs(f)))
      this.finish('f_tol');
    else if (this.patienceExhausted) this.finish('early_stopped');
    else if (this.i >= this.maxIterations) this.finish('max_iterations');
    else if (this.cancelRequested) this.finish('cancelled');
  }

  /** Reads the clock, applies the time budget, and re-spaces the next read to about 1 ms. */
  private checkClock(): number {
    const now = this.clock();
    const spent = now - this.lastClock;
    const perMs = spent > 0 ? this.clockInterval / spent : this.clockInterval * 2;
    this.clockInterval = Math.max(1, Math.min(1 << 16, Math.floor(perMs * CLOCK_CHECK_MS)));
    this.itersUntilClock = this.clockInterval;
    this.lastClock = now;
    if (this.elapsedBefore + (now - this.segmentStart) >= this.spec.stop.maxSeconds * 1000) {
      this.finish('time_limit');
    }
    return now;
  }

  /** Records point i; `final`: the run's last point (its validation counts for best, not for patience). */
  private record(final = false): void {
    const point: TrajectoryPoint = {
      i: this.i,
      f: this.f,
      gradNorm: this.gradNorm,
      lr: this.lr,
      t: this.elapsedMs(),
    };
    if (this.spec.record.params) point.x = Array.from(this.x);
    if (this.validating) this.validate(point, this.x, this.f, final);
    this.pending.push(point);
    this.lastRecorded = this.i;
  }

  /**
   * The validation metrics at x (point.i's parameters), onto the point; then the best so far
   * (a strictly lower loss: x copied), and, unless `final`, the plateau schedule's observation
   * and the patience count.
   */
  private validate(point: TrajectoryPoint, x: Float64Array, f: number, final: boolean): void {
    const metrics = (this.data as DataObjective).validation(x) as ModelMetrics;
    const folded = foldValidation(this.validationState, metrics, point, f, final, this.dim, {
      schedule: this.schedule,
      scheduleState: this.scheduleState,
      patience: this.patience,
    });
    this.validationState = folded.state;
    if (folded.improved) folded.state.bestX.set(x);
    if (folded.exhausted) this.patienceExhausted = true;
  }

  private finish(reason: StopReason): void {
    this.stopReason = reason;
    this.diagnosticsPending = true;
    const diverged = reason === 'diverged' && this.i > 0;
    this.finalPoint = diverged ? this.previous : this.x;
    this.finalF = diverged ? this.prevF : this.f;
    this.finalGradNorm = diverged ? this.prevGradNorm : this.gradNorm;
    if (diverged) {
      // The trajectory ends on the last healthy iterate, which the result reports.
      if (this.lastRecorded !== this.i - 1) {
        const point: TrajectoryPoint = {
          i: this.i - 1,
          f: this.prevF,
          gradNorm: this.prevGradNorm,
          lr: this.prevLr,
          t: this.elapsedMs(),
        };
        if (this.spec.record.params) point.x = Array.from(this.previous);
        if (this.validating) this.validate(point, this.previous, this.prevF, true);
        this.pending.push(point);
        this.lastRecorded = this.i - 1;
      }
      return;
    }
    if (this.lastRecorded !== this.i) this.record(true);
  }

  private elapsedMs(): number {
    return this.elapsedBefore + (this.clock() - this.segmentStart);
  }

  private restore(checkpoint: RunCheckpoint): void {
    if (checkpoint.version !== CHECKPOINT_VERSION) {
      throw new Error(`checkpoint version ${checkpoint.version} is not ${CHECKPOINT_VERSION}`);
    }
    const state = decodeState(checkpoint.state) as unknown as CheckpointState;
    this.x = state.x;
    this.f = state.f;
    this.i = checkpoint.iteration;
    this.f0 = state.f0;
    this.divergenceLimit = EXPLOSION_FACTOR * Math.max(1, Math.abs(this.f0));
    this.prevF = state.prevF;
    this.lr = state.lr;
    this.bestIteration = state.best.iteration;
    this.bestF = state.best.f;
    this.reserve = state.best.x;
    this.best = state.best.x ?? this.x;
    this.optimizerState = state.optimizer;
    this.scheduleState = state.schedule;
    this.noise = state.noise ? Rng.fromState(state.noise) : null;
    Object.assign(this.evaluations, state.evaluations);
    this.elapsedBefore = state.elapsedMs;
    this.lastRecorded = state.lastRecorded;
    if (this.data !== null && state.data) {
      // The same batch as when the checkpoint was taken, before f and ∇f are re-derived on it.
      this.data.restoreSampler(state.data.sampler);
      this.validationState = state.data.validation;
      this.patienceExhausted = (this.validationState?.badCount ?? 0) >= this.patience;
    }
    // The next evaluation is iteration i + 1.
    this.untilRecord = (this.stride - ((this.i + 1) % this.stride)) % this.stride;
    if (state.stopped) {
      // Stopped while diagnosing: the final point is x, its f and ‖g‖ are stored; no evaluation.
      this.stopReason = state.stopped.stopReason;
      this.gradNorm = state.stopped.gradNorm;
      this.finalPoint = this.x;
      this.finalF = this.f;
      this.finalGradNorm = this.gradNorm;
      this.diagnosticsPending = true;
      return;
    }
    // Re-derive f, ∇f and ‖g‖ at x: deterministic, so bit-identical, and not counted again.
    this.measure(poisonOf(this.x));
    this.context.f = this.f;
  }
}

/** f and ∇f at x into g, and ‖g‖² into normSquared[0]: in one pass when the objective offers it. */
function valueGradientAndNormSquared(
  objective: Objective,
  x: Float64Array,
  g: Float64Array,
  normSquared: Float64Array,
): number {
  if (objective.valueGradientAndNormSquared) return objective.valueGradientAndNormSquared(x, g, normSquared);
  const f = objective.valueAndGradient(x, g);
  normSquared[0] = sumOfSquares(g);
  return f;
}

/** Σ v·0: 0 when every entry of v is finite, NaN otherwise (for x₀ and a restored x). */
function poisonOf(v: Float64Array): number {
  let poison = 0;
  for (let j = 0; j < v.length; j++) poison += v[j] * 0;
  return poison;
}

/** Σ vⱼ², in index order. */
function sumOfSquares(v: Float64Array): number {
  let sum = 0;
  for (let j = 0; j < v.length; j++) sum += v[j] * v[j];
  return sum;
}

/**
 * Wraps an objective so line searches and Hessians are counted in `Result.evaluations`. The
 * Hessian is looked up on first use, not here: an expression objective builds its symbolic
 * Hessian only when something asks for it (newton), never for a run that does not.
 */
function countEvaluations(objective: Objective, counts: EvaluationCounts): Objective {
  let hessian: Objective['hessian'] | null = null;
  return {
    dim: objective.dim,
    value(x) {
      counts.f++;
      return objective.value(x);
    },
    valueAndGradient(x, g) {
      counts.f++;
      counts.gradient++;
      return objective.valueAndGradient(x, g);
    },
    get hessian() {
      if (hessian === null) {
        const method = objective.hessian;
        hessian = method
          ? (x: Float64Array, h: Float64Array) => {
              counts.hessian++;
              method.call(objective, x, h);
            }
          : undefined;
      }
      return hessian;
    },
  };
}

/** Runs a normalised spec to the end in-process (the CLI, tests); a model's data set comes in `options.dataset`. */
export function runToCompletion(spec: JobSpec, options: RunOptions = {}): RunOutput {
  const run = new Run(spec, options);
  const trajectory = run.takePoints();
  while (!run.advance()) {
    /* advance(∞) returns only when done */
  }
  for (const point of run.takePoints()) trajectory.push(point);
  return { result: run.result(), trajectory };
}
