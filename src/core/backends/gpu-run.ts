import type { Dataset } from '../data/dataset.ts';
import { computeDiagnostics, DIAGNOSTICS_MAX_DIM } from '../diagnostics.ts';
import { createObjective } from '../objectives/index.ts';
import { createOptimizer } from '../optimizers/index.ts';
import { decodeState, encodeState } from '../plain-state.ts';
import { CHECKPOINT_VERSION, type RunCheckpoint, type RunOutput } from '../run.ts';
import {
  type CheckpointState,
  isConverged,
  monotonicClock,
  runStride,
  STATIONARY_GRAD_NORM,
} from '../run-bookkeeping.ts';
import { createSchedule } from '../schedules.ts';
import { type JobSpec, type ModelObjectiveSpec, objectiveDim } from '../spec.ts';
import { startPoint } from '../start-point.ts';
import type {
  EvaluationCounts,
  PlainState,
  Result,
  Schedule,
  StopReason,
  TrajectoryPoint,
} from '../types.ts';
import { validationSummary } from '../validation-state.ts';
import {
  type BatchReadback,
  type ComputeBackend,
  DEVICE_STOP,
  type DeviceInfo,
  type DeviceRunRules,
  type DeviceRunState,
  type EvaluationStats,
  type RunProgram,
  type StepInput,
} from './compute-backend.ts';
import { DeviceModelHost } from './device-model-host.ts';
import { deviceProblem, deviceRunRules, deviceUnsupportedReason } from './device-problem.ts';

/**
 * A first-order run on a compute device (float32), with the CPU Run's semantics (run.ts,
 * API.md "Iteration semantics") and surface, made asynchronous: a device answers through
 * promises, so `advance`, `checkpoint`, `result`, `finalX` and `bestParams` return them.
 *
 * How an iteration maps onto the device (see RunProgram):
 * - Steps are queued in batches and run with one read-back per batch: per iteration the ring of
 *   (f, ‖g‖, lrᵢ, stop code), the run state, and the iterates the trajectory records. A batch is
 *   sized from the measured time per step to about BATCH_TARGET_MS, within the slice, the time
 *   budget, maxIterations and `untilIteration`.
 * - The rules that read f and ‖g‖ every iteration (divergence, gradTol, targetValue, fTol) are
 *   evaluated on the device, in run.ts's order, in float32. Once one holds, the device records
 *   the stop iteration and every kernel queued after it is a no-op, so the device holds exactly
 *   xₛ (and x₍ₛ₋₁₎ after a divergence) at the end of the batch: no rewind, no re-run.
 * - maxIterations is never queued past; cancellation and the time budget are checked between
 *   batches (in run.ts's order: max_iterations, cancelled, time_limit), so they stop a run at the
 *   end of the batch in flight, within about BATCH_TARGET_MS.
 * - The best iterate is tracked on the device without copies (three iterate regions).
 * - lrᵢ comes from the host's schedule (schedules.ts), except a plateau's scale, which depends
 *   on f and is kept on the device; the points report the lrᵢ the device used (float32).
 * - Trajectory points carry the float32 values widened to float64. Their `t` is interpolated
 *   linearly over the batch (the device does not time single iterations).
 *
 * Model objectives (run.ts's model semantics): the device evaluates f and ∇f on the batches the
 * CPU run's sampler gives (device-model-host.ts stages each evaluation's rows; webgpu/
 * model-evaluation.ts gathers them), and a validation pass over the validation rows at every
 * recorded point, whose (loss, correct) come back in the batch's ring with the recorded iterate
 * (the best by validation loss is kept on the host, as the CPU run keeps it). When a validation
 * can change what the next step does (stop.patience, a plateau on the validation loss, whose lr
 * the host sends), a batch never runs past the next recorded point, so the host folds it in
 * first; otherwise a batch holds many recorded points. The final point's validation, when it is
 * not on the stride, is one more round trip.
 *
 * Not on a device (deviceUnsupportedReason): gradient noise, Newton and L-BFGS, expressions, the
 * 2-D builtins and the rotated quadratic.
 *
 * Checkpoints are run.ts RunCheckpoints (version, iteration, state) whose state has the CPU
 * run's fields and optimizer layout, with float32 values widened to float64, plus `precision:
 * 'float32'` and the adapter: the CPU Run resumes one as is (continuing in float64), and a
 * GpuRun resumes a CPU checkpoint (rounding its state to float32).
 */

/** Wall time one batch aims for: short enough that cancel lands well within 100 ms. */
export const BATCH_TARGET_MS = 20;

/** A RunCheckpoint from a device run. */
export interface GpuRunCheckpoint extends RunCheckpoint {
  precision: 'float32';
  adapter: string | null;
}

export interface GpuRunOptions {
  /** Aborting stops the run at the end of the batch in flight, with stopReason `cancelled`. */
  signal?: AbortSignal;
  /** Continue from this snapshot (from a GpuRun or a CPU Run) instead of starting afresh. */
  checkpoint?: RunCheckpoint;
  /** Milliseconds, monotonic. */
  clock?: () => number;
  /** The data set of a model objective (every row; the split is made from the seed), as RunOptions.dataset. */
  dataset?: Dataset;
}

const STOP_REASONS: Record<number, StopReason> = {
  [DEVICE_STOP.diverged]: 'diverged',
  [DEVICE_STOP.gradTol]: 'grad_tol',
  [DEVICE_STOP.targetValue]: 'target_value',
  [DEVICE_STOP.fTol]: 'f_tol',
};

export class GpuRun {
  readonly spec: JobSpec;
  readonly dim: number;
  readonly device: DeviceInfo;
  readonly evaluations: EvaluationCounts = { f: 0, gradient: 0, hessian: 0 };

  private readonly program: RunProgram;
  private readonly problem: DeviceRunRules;
  /** A model run's host side (batches, validation); null for a builtin. */
  private readonly model: DeviceModelHost | null;
  private readonly schedule: Schedule;
  /** The host schedule's state (null for all but plateau, whose state lives on the device unless a model's validation loss drives it). */
  private scheduleState: PlainState;
  private readonly clock: () => number;
  private readonly stride: number;
  private readonly maxIterations: number;
  private readonly baseLr: number;
  private readonly adamBetas: [number, number] | null;
  /** Whether recorded points carry their iterate back (record.params, or a model's validation best). */
  private readonly recordsIterates: boolean;
  /** Whether a batch must end at each recorded point: a validation there can stop the run or change its rate. */
  private readonly validationGates: boolean;

  private i = 0;
  private f = Number.NaN;
  private gradNorm = Number.NaN;
  private lr = 0;
  private prevF = Number.NaN;
  private prevGradNorm = Number.NaN;
  private prevLr = 0;
  /** The device state after the last batch. */
  private state: DeviceRunState | null = null;
  private lastRecorded = -1;
  private stopReason: StopReason | null = null;
  private cancelRequested = false;
  private pending: TrajectoryPoint[] = [];
  private elapsedBefore = 0;
  private readonly segmentStart: number;
  /** Measured device time per step (ms), for sizing batches; null until the first batch. */
  private msPerStep: number | null = null;
  private batchSteps = 1;
  private batchCount = 0;
  /** The final and best iterates, read once the run is done. */
  private finalRead: Promise<Float64Array> | null = null;
  private bestRead: Promise<Float64Array> | null = null;

  /** Builds the run and evaluates its start (or re-derives g at a checkpoint's x): one device round trip. */
  static async create(backend: ComputeBackend, spec: JobSpec, options: GpuRunOptions = {}): Promise<GpuRun> {
    const reason = deviceUnsupportedReason(spec, backend);
    if (reason !== null) throw new Error(`not a device run: ${reason}`);
    if (spec.objective.type === 'model' && options.dataset === undefined)
      throw new Error('a model objective needs its data set');
    const run = new GpuRun(backend, spec, options);
    await run.begin(options.checkpoint ?? null);
    return run;
  }

  private constructor(backend: ComputeBackend, spec: JobSpec, options: GpuRunOptions) {
    this.spec = spec;
    this.dim = objectiveDim(spec.objective);
    this.device = backend.info;
    this.clock = options.clock ?? monotonicClock;
    this.schedule = createSchedule(spec.schedule, spec.stop.maxIterations);
    this.scheduleState = this.schedule.init();
    this.stride = runStride(spec);
    this.maxIterations = spec.stop.maxIterations;
    this.baseLr = spec.optimizer.lr;
    const optimizer = spec.optimizer;
    this.adamBetas =
      optimizer.name === 'adam' || optimizer.name === 'adamw' ? [optimizer.beta1, optimizer.beta2] : null;
    this.segmentStart = this.clock();
    this.recordsIterates = spec.record.params;
    this.validationGates = false;
    if (spec.objective.type === 'model') {
      const model = new DeviceModelHost(
        spec as JobSpec & { objective: ModelObjectiveSpec },
        options.dataset as Dataset,
        (validating) => deviceRunRules(spec, !validating),
      );
      const program = backend.createModelProgram(model.problem);
      model.attach(program);
      this.model = model;
      this.problem = model.problem;
      this.program = program;
      this.recordsIterates ||= model.validating;
      this.validationGates =
        model.validating && (Number.isFinite(model.patience) || this.schedule.observe !== undefined);
    } else {
      const problem = deviceProblem(spec);
      this.model = null;
      this.problem = problem;
      this.program = backend.createRunProgram(problem);
    }
    if (options.signal) {
      if (options.signal.aborted) this.cancelRequested = true;
      else options.signal.addEventListener('abort', () => this.cancel(), { once: true });
    }
  }

  get done(): boolean {
    return this.stopReason !== null;
  }

  get iteration(): number {
    return this.i;
  }

  /** Batches run so far: each is one submission and one read-back, however many steps it held. */
  get batches(): number {
    return this.batchCount;
  }

  /** Latest progress, for job records: the current iteration, f and ‖g‖ (as of the last batch). */
  progress(): { iteration: number; f: number; gradNorm: number } {
    return { iteration: this.i, f: this.f, gradNorm: this.gradNorm };
  }

  /** Requests a stop; the run ends with `cancelled` at the end of the batch in flight. */
  cancel(): void {
    this.cancelRequested = true;
  }

  /**
   * Runs batches of steps until the run stops, `sliceMs` of wall time has passed, or iteration
   * `untilIteration` is reached; resolves to `done`. A slice always runs at least one batch.
   */
  async advance(
    sliceMs = Number.POSITIVE_INFINITY,
    untilIteration = Number.POSITIVE_INFINITY,
  ): Promise<boolean> {
    const sliceEnd = this.clock() + sliceMs;
    while (this.stopReason === null && this.i < untilIteration) {
      const steps = this.nextBatchSize(sliceEnd - this.clock(), untilIteration);
      const model = this.model;
      model?.markBatch();
      for (let k = 1; k <= steps; k++) {
        const iteration = this.i + k;
        const recorded = iteration % this.stride === 0;
        model?.stageNext();
        this.program.queueStep(this.stepInput(iteration), this.recordsIterates && recorded);
        if (recorded && model?.validating) model.queueValidation('current');
      }
      const started = this.clock();
      const batch = await this.program.runBatch();
      const ended = this.clock();
      this.batchCount++;
      this.learnSpeed(steps, ended - started);
      await this.absorb(batch, steps, started, ended);
      if (this.stopReason === null) {
        if (this.i >= this.maxIterations) await this.finish('max_iterations');
        else if (this.cancelRequested) await this.finish('cancelled');
        else if (this.elapsedMs() >= this.spec.stop.maxSeconds * 1000) await this.finish('time_limit');
      }
      if (this.clock() >= sliceEnd) break;
    }
    return this.stopReason !== null;
  }

  /** Points recorded since the last call, in order. */
  takePoints(): TrajectoryPoint[] {
    const points = this.pending;
    this.pending = [];
    return points;
  }

  /** The full run state between two batches, as JSON-safe data that a GpuRun or a CPU Run resumes. */
  async checkpoint(): Promise<GpuRunCheckpoint> {
    const state = this.deviceState();
    if (this.stopReason !== null) throw new Error('a finished run has no checkpoint');
    const [x, best, optimizerArrays] = await Promise.all([
      this.program.readIterate(state.current),
      state.best === state.current || this.model?.validating
        ? Promise.resolve(null)
        : this.program.readIterate(state.best),
      this.program.readOptimizerState(),
    ]);
    // The CPU optimizer's own layout (AMSGrad off: an empty v̂max), filled with the device's arrays.
    const optimizer = createOptimizer(this.problem.optimizer).init(0);
    if (optimizer !== null && typeof optimizer === 'object' && !Array.isArray(optimizer)) {
      const fields = optimizer as { [key: string]: PlainState };
      for (const [name, values] of Object.entries(optimizerArrays)) fields[name] = Float64Array.from(values);
    }
    const validating = this.model?.validating ?? false;
    const checkpointState: CheckpointState = {
      x: Float64Array.from(x),
      f: this.f,
      f0: state.f0,
      prevF: this.prevF,
      lr: this.lr,
      // With validation rows the best is the validation's (in `data`); the CPU run tracks no other.
      best: validating
        ? { iteration: 0, f: Number.POSITIVE_INFINITY, x: null }
        : {
            iteration: state.bestIteration,
            f: state.bestF,
            x: best === null ? null : Float64Array.from(best),
          },
      optimizer,
      schedule: this.problem.plateau ? { ...state.plateau } : this.scheduleState,
      noise: null,
      evaluations: { ...this.evaluations },
      elapsedMs: this.elapsedMs(),
      lastRecorded: this.lastRecorded,
      data: this.model?.checkpointData(),
    };
    return {
      version: CHECKPOINT_VERSION,
      iteration: this.i,
      precision: 'float32',
      adapter: this.device.adapter,
      state: encodeState(checkpointState as unknown as PlainState),
    };
  }

  /** The result; only once the run is done. `inlineMaxDim` nulls x and best.x above that dimension. */
  async result(inlineMaxDim = Number.POSITIVE_INFINITY): Promise<Result> {
    const stopReason = this.stopReason;
    if (stopReason === null) throw new Error('the run has not finished');
    const diverged = stopReason === 'diverged' && this.i > 0;
    const f = diverged ? this.prevF : this.f;
    const gradNorm = diverged ? this.prevGradNorm : this.gradNorm;
    const state = this.deviceState();
    const inline = this.dim <= inlineMaxDim;
    const [finalX, bestX] = await Promise.all([
      inline || this.dim <= DIAGNOSTICS_MAX_DIM ? this.finalX() : null,
      inline ? this.bestParams() : null,
    ]);
    const stationaryTol = Math.max(this.spec.stop.gradTol, STATIONARY_GRAD_NORM);
    const validation = this.model?.validationState ?? null;
    const result: Result = {
      stopReason,
      converged: isConverged(stopReason),
      device: { ...this.device },
      x: inline && finalX ? Array.from(finalX) : null,
      f,
      gradNorm,
      iterations: this.i,
      evaluations: { ...this.evaluations },
      best:
        validation === null
          ? {
              iteration: state.bestIteration,
              f: state.bestF === Number.POSITIVE_INFINITY ? f : state.bestF,
              x: bestX ? Array.from(bestX) : null,
            }
          : { iteration: validation.bestIteration, f: validation.bestF, x: bestX ? Array.from(bestX) : null },
      diagnostics:
        Number.isFinite(f) && finalX !== null && this.dim <= DIAGNOSTICS_MAX_DIM
          ? computeDiagnostics(
              // A model's objective stands on the batch of the last iteration, as the CPU run's.
              this.model?.objective ?? createObjective(this.spec.objective, this.spec.seed),
              finalX,
              gradNorm,
              stationaryTol,
            )
          : { stationaryPoint: null, conditionNumber: null },
      wallMs: this.elapsedMs(),
    };
    if (validation !== null) result.validation = validationSummary(validation);
    return result;
  }

  /**
   * Final parameters: the last healthy iterate (x₍ᵢ₋₁₎ after a divergence). Once the run is done
   * it is read from the device once (the result and the stored params both want it).
   */
  finalX(): Promise<Float64Array> {
    if (this.stopReason === null) return this.readFinalX();
    this.finalRead ??= this.readFinalX();
    return this.finalRead;
  }

  /** Parameters of the best (lowest f) healthy iterate; read once when the run is done, as finalX. */
  bestParams(): Promise<Float64Array> {
    if (this.stopReason === null) return this.readBestParams();
    this.bestRead ??= this.readBestParams();
    return this.bestRead;
  }

  private async readFinalX(): Promise<Float64Array> {
    const state = this.deviceState();
    const region = this.stopReason === 'diverged' && this.i > 0 ? state.previous : state.current;
    return Float64Array.from(await this.program.readIterate(region));
  }

  private async readBestParams(): Promise<Float64Array> {
    const validation = this.model?.validationState;
    if (validation) return Float64Array.from(validation.bestX);
    const state = this.deviceState();
    if (state.bestF === Number.POSITIVE_INFINITY) return this.finalX();
    return Float64Array.from(await this.program.readIterate(state.best));
  }

  /** Frees the device buffers; the run is unusable afterwards. */
  destroy(): void {
    this.program.destroy();
  }

  /** The start evaluation, or a checkpoint's state and the re-derived gradient. */
  private async begin(checkpoint: RunCheckpoint | null): Promise<void> {
    if (checkpoint !== null) {
      await this.restore(checkpoint);
      return;
    }
    const model = this.model;
    const x0 = model ? model.start() : startPoint(this.spec, this.dim);
    this.program.load({ x: x0, optimizerState: null, bestX: null, scalars: null });
    model?.stageCurrent();
    this.program.queueStart(this.stepInput(0));
    if (model?.validating) model.queueValidation('current');
    const started = this.clock();
    const batch = await this.program.runBatch();
    const { f, gradNorm, lr, stopCode } = batch.stats[0];
    this.state = batch.state;
    this.f = f;
    this.gradNorm = gradNorm;
    this.lr = lr;
    this.countEvaluation();
    const t = this.elapsedAt((started + this.clock()) / 2);
    if (stopCode === DEVICE_STOP.diverged) {
      await this.finish('diverged');
      return;
    }
    this.record(0, t, this.recordsIterates ? Float32Array.from(x0) : null, batch.stats[1] ?? null);
    if (stopCode !== DEVICE_STOP.none) await this.finish(STOP_REASONS[stopCode]);
    else if (this.maxIterations === 0) await this.finish('max_iterations');
    else if (this.cancelRequested) await this.finish('cancelled');
  }

  private async restore(checkpoint: RunCheckpoint): Promise<void> {
    if (checkpoint.version !== CHECKPOINT_VERSION) {
      throw new Error(`checkpoint version ${checkpoint.version} is not ${CHECKPOINT_VERSION}`);
    }
    const saved = decodeState(checkpoint.state) as unknown as CheckpointState;
    if (saved.noise !== null) throw new Error('a checkpoint with gradient noise resumes on the CPU only');
    const schedule = saved.schedule as { scale: number; best: number | null; badCount: number } | null;
    this.i = checkpoint.iteration;
    this.f = saved.f;
    this.prevF = saved.prevF;
    this.lr = saved.lr;
    Object.assign(this.evaluations, saved.evaluations);
    this.elapsedBefore = saved.elapsedMs;
    this.lastRecorded = saved.lastRecorded;
    // A host-side schedule state (a model's plateau on the validation loss) continues as saved.
    if (this.problem.plateau === null && this.schedule.observe) this.scheduleState = saved.schedule;
    this.program.load({
      x: saved.x,
      optimizerState: isArrayRecord(saved.optimizer) ? saved.optimizer : null,
      bestX: saved.best.x,
      scalars: {
        current: 0,
        previous: 1,
        best: saved.best.x ? 2 : 0,
        stopCode: DEVICE_STOP.none,
        stopIteration: 0,
        bestIteration: saved.best.iteration,
        f: saved.f,
        gradNorm: 0,
        lr: saved.lr,
        f0: saved.f0,
        prevF: saved.prevF,
        prevGradNorm: 0,
        prevLr: 0,
        bestF: saved.best.f,
        plateau: this.problem.plateau && schedule ? schedule : { scale: 1, best: null, badCount: 0 },
      },
    });
    if (this.model) {
      // The same batch as when the checkpoint was taken, before f and g are re-derived on it.
      this.model.restore(checkpoint.iteration, saved.data);
      this.model.stageCurrent();
    }
    // Re-derive g and ‖g‖ at x (uncounted), as run.ts restore does.
    this.program.queueMeasure();
    const batch = await this.program.runBatch();
    this.state = batch.state;
    this.gradNorm = batch.state.gradNorm;
    this.f = batch.state.f;
  }

  /**
   * Absorbs a batch's stats in iteration order, up to the device's stop (a model's validation
   * slot follows its recorded step's), then a model's patience.
   */
  private async absorb(batch: BatchReadback, steps: number, started: number, ended: number): Promise<void> {
    this.state = batch.state;
    const validating = this.model?.validating ?? false;
    let recordedIndex = 0;
    let slot = 0;
    for (let k = 0; k < steps; k++) {
      const iteration = this.i + 1;
      const stats = batch.stats[slot++];
      this.prevF = this.f;
      this.prevGradNorm = this.gradNorm;
      this.prevLr = this.lr;
      this.f = stats.f;
      this.gradNorm = stats.gradNorm;
      this.lr = stats.lr;
      this.i = iteration;
      this.countEvaluation();
      if (stats.stopCode === DEVICE_STOP.diverged) {
        await this.finish('diverged');
        return;
      }
      if (iteration % this.stride === 0) {
        const x = this.recordsIterates ? batch.recorded[recordedIndex++] : null;
        const validation = validating ? batch.stats[slot++] : null;
        this.record(
          iteration,
          this.elapsedAt(started + ((k + 1) / steps) * (ended - started)),
          x,
          validation,
        );
      }
      if (stats.stopCode !== DEVICE_STOP.none) {
        await this.finish(STOP_REASONS[stats.stopCode]);
        return;
      }
    }
    if (this.model?.exhausted) await this.finish('early_stopped');
  }

  /** Ends the run; the trajectory ends on the iterate the result reports (as run.ts finish). */
  private async finish(reason: StopReason): Promise<void> {
    this.stopReason = reason;
    const state = this.deviceState();
    const model = this.model;
    model?.settle(this.i);
    if (reason === 'diverged') {
      if (this.i > 0 && this.lastRecorded !== this.i - 1) {
        const x = this.recordsIterates ? await this.program.readIterate(state.previous) : null;
        const point = this.pushPoint(this.i - 1, this.prevF, this.prevGradNorm, this.prevLr, x);
        if (model?.validating && x !== null) {
          const validation = await model.validateNow('previous');
          model.validate(point, validation, this.prevF, true, x, this.validationRules());
        }
      }
      return;
    }
    if (this.lastRecorded !== this.i) {
      const x = this.recordsIterates ? await this.program.readIterate(state.current) : null;
      const validation = model?.validating ? await model.validateNow('current') : null;
      this.record(this.i, this.elapsedMs(), x, validation, true);
    }
  }

  /**
   * Records point `iteration` with its iterate x (on the point with record.params); a model's
   * validation slot, when given, is folded in (`final`: the run's last point, which counts for
   * best, not patience).
   */
  private record(
    iteration: number,
    t: number,
    x: Float32Array | null,
    validation: EvaluationStats | null = null,
    final = false,
  ): void {
    const point: TrajectoryPoint = { i: iteration, f: this.f, gradNorm: this.gradNorm, lr: this.lr, t };
    if (x !== null && this.spec.record.params) point.x = Array.from(x);
    if (validation !== null && x !== null && this.model) {
      this.model.validate(point, validation, this.f, final, x, this.validationRules());
    }
    this.pending.push(point);
    this.lastRecorded = iteration;
  }

  private validationRules() {
    return { schedule: this.schedule, scheduleState: this.scheduleState };
  }

  private pushPoint(
    iteration: number,
    f: number,
    gradNorm: number,
    lr: number,
    x: Float32Array | null,
  ): TrajectoryPoint {
    const point: TrajectoryPoint = { i: iteration, f, gradNorm, lr, t: this.elapsedMs() };
    if (x !== null && this.spec.record.params) point.x = Array.from(x);
    this.pending.push(point);
    this.lastRecorded = iteration;
    return point;
  }

  private countEvaluation(): void {
    this.evaluations.f++;
    this.evaluations.gradient++;
  }

  /** Step i's inputs: lrᵢ = lr · s(i − 1) (the start reports lr₁), Adam's bias corrections at t = i. */
  private stepInput(iteration: number): StepInput {
    const t = Math.max(0, iteration - 1);
    const plateau = this.problem.plateau;
    const usePlateau = plateau !== null && t >= plateau.fromStep;
    const lr = usePlateau ? 0 : this.baseLr * this.schedule.factor(t, this.scheduleState);
    let biasCorrection1 = 1;
    let biasCorrection2 = 1;
    if (this.adamBetas !== null && iteration >= 1) {
      biasCorrection1 = 1 / (1 - this.adamBetas[0] ** iteration);
      biasCorrection2 = 1 / (1 - this.adamBetas[1] ** iteration);
    }
    return { iteration, lr, usePlateau, biasCorrection1, biasCorrection2 };
  }

  /**
   * Steps in the next batch: grows ×4 from 1 until a batch takes about BATCH_TARGET_MS, never past
   * the slice's remaining time, the time budget, maxIterations, `untilIteration`, or the device's
   * batch and record capacities (a model's validation passes included).
   */
  private nextBatchSize(sliceLeftMs: number, untilIteration: number): number {
    let steps = this.batchSteps;
    if (this.msPerStep !== null) {
      const budgetLeftMs = this.spec.stop.maxSeconds * 1000 - this.elapsedMs();
      const targetMs = Math.min(BATCH_TARGET_MS, sliceLeftMs, budgetLeftMs);
      steps = Math.min(steps * 4, Math.floor(targetMs / this.msPerStep));
    }
    steps = Math.min(
      steps,
      this.program.maxBatchEvaluations,
      this.maxIterations - this.i,
      untilIteration - this.i,
    );
    if (this.recordsIterates) steps = Math.min(steps, this.stride * this.program.maxRecordedPerBatch);
    // A model's validation passes take evaluation slots too: s steps hold at most s/stride + 1 of
    // them, so s (1 + 1/stride) + 1 <= the batch's slots.
    if (this.model?.validating) {
      const slots = this.program.maxBatchEvaluations;
      steps = Math.min(steps, Math.floor(((slots - 1) * this.stride) / (this.stride + 1)));
    }
    // A validation that can stop the run or change its rate is folded in before the steps after it.
    if (this.validationGates) steps = Math.min(steps, this.stride - (this.i % this.stride));
    return Math.max(1, steps);
  }

  private learnSpeed(steps: number, elapsedMs: number): void {
    this.batchSteps = steps;
    this.msPerStep = Math.max(elapsedMs / steps, 1e-3);
  }

  private deviceState(): DeviceRunState {
    if (this.state === null) throw new Error('the run has not started');
    return this.state;
  }

  private elapsedAt(now: number): number {
    return this.elapsedBefore + (now - this.segmentStart);
  }

  private elapsedMs(): number {
    return this.elapsedAt(this.clock());
  }
}

function isArrayRecord(value: PlainState): value is { [key: string]: Float64Array } {
  return (
    value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Float64Array)
  );
}

/** Runs a spec on a device to the end (the device analogue of run.ts runToCompletion; `descent run`, tests). */
export async function runOnDeviceToCompletion(
  backend: ComputeBackend,
  spec: JobSpec,
  options: GpuRunOptions = {},
): Promise<RunOutput> {
  const run = await GpuRun.create(backend, spec, options);
  try {
    const trajectory = run.takePoints();
    while (!(await run.advance())) {
      /* advance(∞) resolves only when done */
    }
    for (const point of run.takePoints()) trajectory.push(point);
    return { result: await run.result(), trajectory };
  } finally {
    run.destroy();
  }
}
