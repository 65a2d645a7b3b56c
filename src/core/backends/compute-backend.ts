/**
 * What a run needs from a compute device, backend-neutral (the WebGPU implementation is in
 * ./webgpu/). A device run keeps everything per-parameter on the device — the iterates, the
 * gradient, the optimizer state — and reads back only per-iteration scalars (f, ‖g‖, lr, the
 * stop code) and the points the trajectory records, in batches.
 *
 * Device runs are float32: WebGPU has no float64. Values cross the boundary as Float32Array
 * (exact when widened to float64), and the run reports `precision: 'float32'`.
 */
import type { ModelData } from '../objectives/models/data-objective.ts';
import type { Activation, LossHead } from '../objectives/models/spec.ts';
import type { OptimizerSpec } from '../spec.ts';
import type { DeviceInfo } from '../types.ts';

export type { DeviceInfo };

/** The first-order optimizers a device runs (Newton and L-BFGS stay on the CPU). */
export type DeviceOptimizerSpec = Extract<
  OptimizerSpec,
  { name: 'sgd' | 'momentum' | 'adagrad' | 'rmsprop' | 'adam' | 'adamw' }
>;

/** The builtins with device kernels: the ones that accept any dimension (`anyDim`; quadratic unrotated). */
export type DeviceObjectiveName =
  | 'sphere'
  | 'quadratic'
  | 'rosenbrock'
  | 'rastrigin'
  | 'ackley'
  | 'styblinski_tang';

/** A builtin objective on the device, with its parameters complete (defaults filled in). */
export interface DeviceObjectiveSpec {
  name: DeviceObjectiveName;
  dim: number;
  params: Record<string, number | boolean>;
}

/**
 * The schedule as the device needs it: the host computes every factor except a plateau's
 * (which depends on f, evaluated on the device), so `plateau` carries its options and the step
 * from which its scale applies (after the warmup).
 */
export interface DevicePlateau {
  factor: number;
  patience: number;
  threshold: number;
  /** Steps with t < fromStep use the host's (warmup) factor. */
  fromStep: number;
}

/** Stop rules the device evaluates after every evaluation (API.md order). */
export interface DeviceStopRules {
  gradTol: number;
  /** null: disabled. */
  targetValue: number | null;
  /** null: disabled. */
  fTol: number | null;
}

/** What every device problem has besides its objective: optimizer, schedule hook and stop rules. */
export interface DeviceRunRules {
  optimizer: DeviceOptimizerSpec;
  /** The device observes f for a plateau schedule; null: no plateau, or the host observes it (a model's validation loss). */
  plateau: DevicePlateau | null;
  stop: DeviceStopRules;
}

/** One problem for a {@link RunProgram}: a builtin objective, optimizer, schedule hook and stop rules. */
export interface DeviceProblem extends DeviceRunRules {
  objective: DeviceObjectiveSpec;
}

/**
 * A model objective on the device (objectives/models): the network's shape and loss, its data
 * prepared as the CPU model prepares it (split, standardised), and the rows per batch.
 */
export interface DeviceModel {
  /** Layer widths [features, …hidden, outputs] (objectives/models/spec.ts layerSizes). */
  sizes: readonly number[];
  activation: Activation;
  head: LossHead;
  /** λ of (λ/2)·‖W‖² over the weights. */
  l2: number;
  /** Rows per training batch (every training row for the full batch). */
  batchSize: number;
  data: ModelData;
}

/** One model problem for a {@link ModelRunProgram}. */
export interface DeviceModelProblem extends DeviceRunRules {
  model: DeviceModel;
}

/** Stop codes the device writes; 0 while running. */
export const DEVICE_STOP = { none: 0, diverged: 1, gradTol: 2, targetValue: 3, fTol: 4 } as const;

/** Per-evaluation scalars, one ring slot each. */
export interface EvaluationStats {
  f: number;
  gradNorm: number;
  lr: number;
  /** A {@link DEVICE_STOP} code. */
  stopCode: number;
}

/**
 * The device-side run state between batches (see RunProgram). Regions: the iterates live in
 * three device regions; `current` holds xᵢ, `previous` x₍ᵢ₋₁₎, `best` the lowest-f iterate.
 */
export interface DeviceRunState {
  current: number;
  previous: number;
  best: number;
  stopCode: number;
  stopIteration: number;
  bestIteration: number;
  f: number;
  gradNorm: number;
  lr: number;
  f0: number;
  prevF: number;
  prevGradNorm: number;
  prevLr: number;
  bestF: number;
  plateau: { scale: number; best: number | null; badCount: number };
}

/** What an evaluation needs from the host: its iteration and the scheduled rate. */
export interface StepInput {
  /** i >= 1 for a step (it produces xᵢ from x₍ᵢ₋₁₎); 0 for the start. */
  iteration: number;
  /** lrᵢ = lr · s(i − 1) (the start reports lr₁), unless the device's plateau scale applies. */
  lr: number;
  /** Whether the device's plateau scale replaces `lr` (base lr · scale). */
  usePlateau: boolean;
  /** Adam's 1/(1 − β₁ᵗ) and 1/(1 − β₂ᵗ) at t = i, computed in float64 (1 for other optimizers). */
  biasCorrection1: number;
  biasCorrection2: number;
}

/** What one batch read back: per-evaluation scalars, the state after it, recorded iterates. */
export interface BatchReadback {
  stats: EvaluationStats[];
  state: DeviceRunState;
  /** The recorded iterates, in the order `recordAt` named them (empty unless requested). */
  recorded: Float32Array[];
}

/**
 * One first-order problem resident on a device: iterates, gradient, optimizer state, the
 * objective's constants, and the kernels of an iteration (fused update, value+gradient with
 * workgroup partial sums, a finalize pass that reduces the partials and applies the stop rules,
 * best tracking and the plateau schedule). Steps are queued and run on `runBatch`, which reads
 * back once.
 */
export interface RunProgram {
  readonly dim: number;
  /**
   * Uploads a state: x (region 0 unless given), the optimizer state arrays (the CPU optimizer's
   * layout: e.g. adam {m, v, vHatMax}), the best iterate when it differs from x, and the
   * scalars. Without `scalars` the device starts fresh (no best, no f₀).
   */
  load(input: {
    x: ArrayLike<number>;
    optimizerState: Record<string, ArrayLike<number>> | null;
    bestX: ArrayLike<number> | null;
    scalars: DeviceRunState | null;
  }): void;
  /** Evaluations one batch may queue. */
  readonly maxBatchEvaluations: number;
  /** Iterates one batch may record. */
  readonly maxRecordedPerBatch: number;
  /** Queues the start evaluation (point 0): sets f₀, reports lr₁ and applies the stop rules. */
  queueStart(first: StepInput): void;
  /** Queues an evaluation that re-derives f, g and ‖g‖ at the current iterate after a load (no rules, not counted). */
  queueMeasure(): void;
  /** Queues one iteration; when `record` is true the new iterate is copied for read-back. */
  queueStep(step: StepInput, record: boolean): void;
  /** Runs everything queued and reads back the stats of the queued evaluations, the state, and the recorded iterates. */
  runBatch(): Promise<BatchReadback>;
  /** Reads region `region` of the iterates. */
  readIterate(region: number): Promise<Float32Array>;
  /** Reads the gradient at the current iterate. */
  readGradient(): Promise<Float32Array>;
  /** Reads the optimizer state arrays by name (the CPU optimizer's layout). */
  readOptimizerState(): Promise<Record<string, Float32Array>>;
  destroy(): void;
}

/** Validation metrics of one forward pass over the validation rows (a model run's recorded points). */
export interface ValidationStats {
  /** Mean loss over the validation rows (no l2 term). */
  loss: number;
  /** Rows classified correctly (0 for regression). */
  correct: number;
}

/**
 * A model problem resident on a device: a {@link RunProgram} whose evaluations are the
 * network's forward and backward passes on a batch of training rows, with the data uploaded
 * once. The host names each evaluation's batch (the CPU sampler's rows) before queueing it, and
 * queues validation passes, whose stats come back in the batch's ring in queue order.
 */
export interface ModelRunProgram extends RunProgram {
  /** The training rows of the next queued evaluation (indices into the training split); null: every row. */
  stageBatch(rows: Uint32Array | null): void;
  /**
   * Queues a forward pass over the validation rows at the current iterate (`previous`: at
   * x₍ᵢ₋₁₎, after a divergence). Its ring slot holds (loss, correct, 0, 0): read it with
   * {@link validationStats}.
   */
  queueValidation(region: 'current' | 'previous'): void;
}

/** The validation metrics in a ring slot that {@link ModelRunProgram.queueValidation} filled. */
export function validationStats(stats: EvaluationStats): ValidationStats {
  return { loss: stats.f, correct: stats.gradNorm };
}

/** A compute device: what it is, and the problems it can hold. */
export interface ComputeBackend {
  readonly info: DeviceInfo;
  /** The largest dimension a RunProgram accepts for this optimizer (device buffer limits). */
  maxRunDim(optimizer: DeviceOptimizerSpec['name']): number;
  createRunProgram(problem: DeviceProblem): RunProgram;
  createModelProgram(problem: DeviceModelProblem): ModelRunProgram;
}
