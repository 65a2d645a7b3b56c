import type { GeneratorName } from './data/generators.ts';
import type { BuiltinName, BuiltinParams } from './objectives/builtins/definition.ts';
import type { ModelSpec } from './objectives/models/spec.ts';

/**
 * The normalised job spec: what the core runs. Every default is filled in and the seed resolved,
 * so a spec alone determines its run bit for bit. The zod schemas in src/schemas validate user
 * input and produce exactly these types (a type-level check there keeps the two in step); the
 * core never sees unvalidated input.
 */

export interface SgdSpec {
  name: 'sgd';
  lr: number;
  clipNorm?: number;
}

export interface MomentumSpec {
  name: 'momentum';
  lr: number;
  rho: number;
  nesterov: boolean;
  clipNorm?: number;
}

export interface AdagradSpec {
  name: 'adagrad';
  lr: number;
  eps: number;
  clipNorm?: number;
}

export interface RmspropSpec {
  name: 'rmsprop';
  lr: number;
  beta: number;
  eps: number;
  clipNorm?: number;
}

export interface AdamSpec {
  name: 'adam';
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  amsgrad: boolean;
  clipNorm?: number;
}

export interface AdamwSpec extends Omit<AdamSpec, 'name'> {
  name: 'adamw';
  weightDecay: number;
}

export type NewtonHessianMode = 'exact' | 'damped' | 'saddle_free';

export interface NewtonSpec {
  name: 'newton';
  lr: number;
  hessian: NewtonHessianMode;
  damping: number;
  lineSearch: 'none' | 'backtracking';
  clipNorm?: number;
}

export interface LbfgsSpec {
  name: 'lbfgs';
  lr: number;
  history: number;
  lineSearch: 'strong_wolfe' | 'none';
  clipNorm?: number;
}

export type OptimizerSpec =
  | SgdSpec
  | MomentumSpec
  | AdagradSpec
  | RmspropSpec
  | AdamSpec
  | AdamwSpec
  | NewtonSpec
  | LbfgsSpec;

export type OptimizerName = OptimizerSpec['name'];

/** Linear warmup: startFactor + (1 − startFactor)·t/steps while t < steps. */
export interface WarmupSpec {
  steps: number;
  startFactor: number;
}

/**
 * A learning-rate schedule. `period` of cosine and one_cycle is optional only before
 * normalisation (it defaults to maxIterations − warmup steps); the core fills it the same way
 * when it is absent.
 */
export type ScheduleSpec = { warmup?: WarmupSpec } & (
  | { type: 'constant' }
  | { type: 'step'; stepSize: number; gamma: number }
  | { type: 'exponential'; gamma: number }
  | { type: 'cosine'; period?: number; minFactor: number }
  | { type: 'inverse_sqrt' }
  | { type: 'one_cycle'; peakFactor: number; pctStart: number; period?: number }
  | { type: 'plateau'; factor: number; patience: number; threshold: number }
);

export type ScheduleType = ScheduleSpec['type'];

export interface BuiltinObjectiveSpec {
  type: 'builtin';
  name: BuiltinName;
  dim: number;
  params: BuiltinParams;
}

export interface ExpressionObjectiveSpec {
  type: 'expression';
  expression: string;
  /** x[i] is variables[i]. */
  variables: string[];
}

/** The built-in data sets: iris (150 rows, 4 features, 3 classes) and the seeded generators. */
export type BuiltinDataName = 'iris' | GeneratorName;

/**
 * A built-in data set, its generator options filled in. Generated data comes from the job's seed
 * (a stream of its own), so a spec alone still determines its run; iris is fixed.
 */
export type BuiltinDataSpec =
  | { builtin: 'iris' }
  | { builtin: 'two_moons'; samples: number; noise: number }
  | { builtin: 'spirals'; samples: number; noise: number; classes: number }
  | { builtin: 'blobs'; samples: number; noise: number; classes: number; features: number };

/** Rows of features and one target per row: numbers, or labels (classes, mapped in sorted order). */
export interface InlineData {
  X: number[][];
  y: (number | string)[];
  /** What y is; absent: inferred (text labels and few distinct integers are classes). */
  task?: 'classification' | 'regression';
}

/**
 * Where a model's data comes from. A stored data set by id (what the API makes of inline data on
 * submit, so job records stay small), a built-in, or inline rows (kept inline only by
 * `descent run`, which has no store). The core never reads it: the caller resolves the data and
 * passes it to the run (RunOptions.dataset).
 */
export type DataSpec = { datasetId: string } | { inline: InlineData } | BuiltinDataSpec;

/**
 * A model fitted to data (API.md "Objective", `model`): the core's ModelSpec with its data, and
 * `dim`, the parameter count (weights then biases, layer by layer), which depends on the data's
 * features and classes: normalisation, which knows them, fills it in.
 */
export type ModelObjectiveSpec = { type: 'model'; data: DataSpec; dim: number } & ModelSpec;

export type ObjectiveSpec = BuiltinObjectiveSpec | ExpressionObjectiveSpec | ModelObjectiveSpec;

export type StartSpec =
  | { x0: number[] }
  | { random: { distribution: 'normal' | 'uniform'; scale: number } }
  /** The objective's standard start point, named rather than inlined for large dimensions. */
  | { standard: true };

export interface StopSpec {
  maxIterations: number;
  gradTol: number;
  /** null disables the rule; 0 stops only when f is exactly unchanged. */
  fTol: number | null;
  targetValue: number | null;
  maxSeconds: number;
  /**
   * Model objectives with validation rows: stop (`early_stopped`) after this many validation
   * evaluations in a row without a strictly lower validation loss; null disables it.
   */
  patience: number | null;
}

export interface RecordSpec {
  every: number;
  params: boolean;
  maxPoints: number;
}

export type Device = 'cpu' | 'gpu' | 'auto';

/** A job spec with every default filled in and the seed resolved. */
export interface JobSpec {
  objective: ObjectiveSpec;
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  start: StartSpec;
  stop: StopSpec;
  gradientNoise: { std: number } | null;
  record: RecordSpec;
  device: Device;
  seed: number;
  label: string | null;
}

/** The dimension of the parameter vector an objective spec defines. */
export function objectiveDim(objective: ObjectiveSpec): number {
  return objective.type === 'expression' ? objective.variables.length : objective.dim;
}
