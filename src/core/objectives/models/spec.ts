import type { DatasetTask } from '../../data/dataset.ts';

/** The models of API.md's `model` objective. */
export const MODEL_NAMES = ['linear_regression', 'logistic_regression', 'softmax_regression', 'mlp'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export type Activation = 'tanh' | 'relu';

/** Options every model takes (API.md, "Objective", `model`). */
export interface ModelTrainingOptions {
  /** λ of the penalty (λ/2)·‖W‖² over weights (not biases); 0 disables it. */
  l2: number;
  /** Rows per mini-batch, an integer >= 1; null (or >= the training rows) is the full batch. */
  batchSize: number | null;
  /** Share of rows held out for validation, in [0, 1). */
  validationFraction: number;
  /** Standardise features with the training split's mean and std. */
  standardize: boolean;
}

/**
 * A model objective as the core builds it: the normalised spec's `model` objective without its
 * `type` and `data` (the data set is passed to createModelObjective separately), every default
 * filled in ({@link MODEL_DEFAULTS}).
 */
export type ModelSpec =
  | ({ model: 'linear_regression' | 'logistic_regression' | 'softmax_regression' } & ModelTrainingOptions)
  | ({ model: 'mlp'; hidden: number[]; activation: Activation; task: DatasetTask } & ModelTrainingOptions);

/** Defaults the boundary fills in (API.md: l2 0, full batch, validationFraction 0.2, standardize true). */
export const MODEL_DEFAULTS = {
  l2: 0,
  batchSize: null,
  validationFraction: 0.2,
  standardize: true,
  hidden: [16, 16],
  activation: 'tanh',
  task: 'classification',
} as const satisfies ModelTrainingOptions & {
  hidden: readonly number[];
  activation: Activation;
  task: DatasetTask;
};

/** The loss at a model's output: mean squared error, binary cross-entropy on one logit, or softmax cross-entropy. */
export type LossHead = 'mse' | 'binary_cross_entropy' | 'softmax_cross_entropy';

/** The task a model solves: classification models need class labels. */
export function modelTask(spec: ModelSpec): DatasetTask {
  if (spec.model === 'mlp') return spec.task;
  return spec.model === 'linear_regression' ? 'regression' : 'classification';
}

export function lossHead(spec: ModelSpec): LossHead {
  switch (spec.model) {
    case 'linear_regression':
      return 'mse';
    case 'logistic_regression':
      return 'binary_cross_entropy';
    case 'softmax_regression':
      return 'softmax_cross_entropy';
    case 'mlp':
      return spec.task === 'regression' ? 'mse' : 'softmax_cross_entropy';
  }
}

/**
 * Layer widths from input to output: [features, …hidden, outputs], outputs = 1 for regression and
 * logistic regression, `classes` for softmax regression and an MLP classifier. The three linear
 * models are the one-layer case ([features, outputs]).
 */
export function layerSizes(spec: ModelSpec, features: number, classes: number): number[] {
  const outputs = lossHead(spec) === 'softmax_cross_entropy' ? classes : 1;
  return spec.model === 'mlp' ? [features, ...spec.hidden, outputs] : [features, outputs];
}

/** Parameter count: Σ over layers of outₗ·inₗ weights + outₗ biases (the objective's dim). */
export function parameterCount(sizes: readonly number[]): number {
  let count = 0;
  for (let l = 1; l < sizes.length; l++) count += sizes[l] * sizes[l - 1] + sizes[l];
  return count;
}
