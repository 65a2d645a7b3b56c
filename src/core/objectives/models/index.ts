import type { Dataset } from '../../data/dataset.ts';
import { splitDataset } from '../../data/split.ts';
import { applyStandardization, fitStandardization } from '../../data/standardize.ts';
import type { DataObjective } from './data-objective.ts';
import { LinearModelObjective, ModelObjective, type ModelParts } from './model-objective.ts';
import { layerSizes, lossHead, type ModelSpec, modelTask } from './spec.ts';

/** Stream tags mixed into the job seed, so the split, the batch order and the start draw are independent. */
const SPLIT_STREAM = 0x73706c74;
const SAMPLER_STREAM = 0x62617463;
const INIT_STREAM = 0x696e6974;

/**
 * The model objective of a normalised spec on `dataset` (every row; the split is made here):
 * 1. seeded train/validation split (splitDataset: stratified for classification);
 * 2. with `standardize`, features scaled by the training split's mean and std, both splits;
 * 3. the model, batches of min(batchSize, training rows) rows.
 * Deterministic per (spec, dataset, seed). `checkModelData` must have accepted the pair: a
 * mismatch here is a programming error and throws.
 *
 * Parameter layout (API.md, "weights then biases, layer by layer"): for each layer in order, its
 * weight matrix W (fan_out × fan_in, row-major; z = W x + b, PyTorch's Linear.weight) and then
 * its bias b (fan_out). So linear and logistic regression are w (features) then b (1); softmax
 * regression W (K × features) then b (K); an MLP with hidden [h₁, h₂] and K outputs W₁ (h₁ ×
 * features), b₁, W₂ (h₂ × h₁), b₂, W₃ (K × h₂), b₃. Outputs: K = classes for softmax regression
 * and an MLP classifier (softmax cross-entropy, also for K = 2), 1 otherwise.
 */
export function createModelObjective(spec: ModelSpec, dataset: Dataset, seed: number): DataObjective {
  const problem = checkModelData(spec, dataset);
  if (problem !== null) throw new Error(`createModelObjective: ${problem}`);
  const split = splitDataset(dataset, spec.validationFraction, seed ^ SPLIT_STREAM);
  const standardization = spec.standardize ? fitStandardization(split.train) : null;
  const train = standardization ? applyStandardization(split.train, standardization) : split.train;
  const validation = standardization
    ? applyStandardization(split.validation, standardization)
    : split.validation;
  const parts: ModelParts = {
    sizes: layerSizes(spec, dataset.features, dataset.classes),
    activation: spec.model === 'mlp' ? spec.activation : 'tanh',
    head: lossHead(spec),
    task: modelTask(spec),
    l2: spec.l2,
    batchSize: spec.batchSize ?? train.rows,
    data: { training: train, validation, standardization },
    samplerSeed: seed ^ SAMPLER_STREAM,
    initSeed: seed ^ INIT_STREAM,
    glorotStart: spec.model === 'mlp',
  };
  return spec.model === 'mlp' ? new ModelObjective(parts) : new LinearModelObjective(parts);
}

/**
 * Why `dataset` cannot train the model of `spec`, as a sentence for a 400; null when it can.
 * Classification models need a classification data set (labels 0 … classes−1, at least two
 * classes); logistic regression exactly two. Regression models take the targets as numbers,
 * from either kind of data set. Every row needs a finite target and finite features, and at least
 * two rows (one to train on, the split keeping one per class).
 */
export function checkModelData(spec: ModelSpec, dataset: Dataset): string | null {
  const { rows, features, X, y } = dataset;
  if (rows < 2) return `the data set has ${rows} row(s); a model needs at least 2`;
  if (features < 1) return 'the data set has no feature columns';
  for (let i = 0; i < rows * features; i++) {
    if (!Number.isFinite(X[i])) {
      return `row ${Math.floor(i / features)}, feature ${i % features}: ${X[i]} is not a finite number`;
    }
  }
  const task = modelTask(spec);
  if (task === 'classification') {
    if (dataset.task !== 'classification')
      return `${spec.model} needs class labels; the data set is a regression set`;
    if (dataset.classes < 2)
      return `${spec.model} needs at least 2 classes; the data set has ${dataset.classes}`;
    if (spec.model === 'logistic_regression' && dataset.classes !== 2) {
      return `logistic_regression needs exactly 2 classes; the data set has ${dataset.classes} (use softmax_regression)`;
    }
  }
  for (let r = 0; r < rows; r++) {
    const target = y[r];
    if (!Number.isFinite(target)) return `row ${r}: target ${target} is not a finite number`;
    if (task === 'classification' && !(Number.isInteger(target) && target >= 0 && target < dataset.classes)) {
      return `row ${r}: label ${target} is not a class index 0 … ${dataset.classes - 1}`;
    }
  }
  return null;
}
