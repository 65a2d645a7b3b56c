import type { Dataset } from '../../../src/core/data/dataset.ts';
import { type RunOptions, type RunOutput, runToCompletion } from '../../../src/core/run.ts';
import type { JobSpec, ModelObjectiveSpec } from '../../../src/core/spec.ts';
import { modelDataFor } from '../../../src/data/resolve.ts';
import { spec } from '../spec-helpers.ts';

/** A normalised model job spec (seed 7 unless given) and the data set its run takes. */
export function modelJob(input: Record<string, unknown>): { spec: JobSpec; dataset: Dataset } {
  const normalized = spec(input);
  const objective = normalized.objective as ModelObjectiveSpec;
  return { spec: normalized, dataset: modelDataFor(objective, normalized.seed) };
}

/** Runs a model job spec to the end, its data resolved as a worker resolves it. */
export function runModel(
  input: Record<string, unknown>,
  options: RunOptions = {},
): RunOutput & { spec: JobSpec } {
  const job = modelJob(input);
  return { spec: job.spec, ...runToCompletion(job.spec, { dataset: job.dataset, ...options }) };
}

/**
 * The MLP: two_moons (1,000 samples, noise 0.2), hidden [16, 16], Adam, batch 64; 1,300
 * steps are 100 epochs of the 800 training rows.
 */
export const TWO_MOONS_MLP = {
  objective: {
    type: 'model',
    model: 'mlp',
    data: { builtin: 'two_moons', samples: 1000, noise: 0.2 },
    hidden: [16, 16],
    batchSize: 64,
  },
  optimizer: { name: 'adam', lr: 0.01 },
  stop: { maxIterations: 1300 },
  seed: 3,
} as const;

/** An MLP that overfits 96 noisy rows and stops early_stopped (patience 15, validated every 5 steps). */
export const OVERFITTING_MLP = {
  objective: {
    type: 'model',
    model: 'mlp',
    data: { builtin: 'two_moons', samples: 120, noise: 0.45 },
    hidden: [64, 64],
  },
  optimizer: { name: 'adam', lr: 0.01 },
  stop: { maxIterations: 5000, patience: 15 },
  record: { every: 5, params: true },
} as const;

/**
 * A mid-epoch checkpoint's spec: 3 spirals, 240 training rows in batches of 25 (10 batches an
 * epoch), plateau on the validation loss and patience, recorded every 7 with the parameters.
 */
export const SPIRALS_CHECKPOINT = {
  objective: {
    type: 'model',
    model: 'mlp',
    data: { builtin: 'spirals', samples: 300, noise: 0.1, classes: 3 },
    hidden: [12],
    batchSize: 25,
  },
  optimizer: { name: 'adam', lr: 0.01 },
  schedule: { type: 'plateau', factor: 0.7, patience: 1, threshold: 0 },
  stop: { maxIterations: 400, patience: 12 },
  record: { every: 7, params: true },
} as const;

export function standardDeviation(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}
