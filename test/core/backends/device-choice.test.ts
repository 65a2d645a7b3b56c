import { describe, expect, it } from 'vitest';
import { autoWantsDevice, chooseDevice, modelStepWork } from '../../../src/core/backends/device-choice.ts';
import type { ModelObjectiveSpec } from '../../../src/core/spec.ts';
import { modelJob } from '../models/run-helpers.ts';
import { spec } from '../spec-helpers.ts';

/** `auto` for models: the work per step (rows per batch × parameters) against GPU_AUTO_MIN_MODEL_WORK. */

const rule = { minDim: 100_000, minModelWork: 4_000_000, allowSoftware: false };

function model(objective: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return modelJob({
    objective: { type: 'model', ...objective },
    optimizer: { name: 'adam' },
    device: 'auto',
    ...extra,
  }).spec;
}

describe('auto for model objectives', () => {
  it('estimates rows per batch × parameters from batchSize, or the training rows of built-in and inline data', () => {
    // two_moons, 10,000 samples, validationFraction 0.2: 8,000 training rows; mlp [64, 64]: 4,482 parameters
    const full = model({ model: 'mlp', hidden: [64, 64], data: { builtin: 'two_moons', samples: 10_000 } });
    expect((full.objective as ModelObjectiveSpec).dim).toBe(2 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2);
    expect(modelStepWork(full.objective as ModelObjectiveSpec)).toBe(8000 * 4482);
    const batched = model({
      model: 'mlp',
      hidden: [64, 64],
      batchSize: 256,
      data: { builtin: 'two_moons', samples: 10_000 },
    });
    expect(modelStepWork(batched.objective as ModelObjectiveSpec)).toBe(256 * 4482);
    const iris = model({ model: 'softmax_regression', data: { builtin: 'iris' } });
    expect(modelStepWork(iris.objective as ModelObjectiveSpec)).toBe(120 * 15);
    const inline = model({
      model: 'logistic_regression',
      batchSize: 500,
      data: { inline: { X: [[0], [1], [2], [3], [4]], y: [0, 1, 0, 1, 1] } },
    });
    // batchSize past the 4 training rows is the full batch
    expect(modelStepWork(inline.objective as ModelObjectiveSpec)).toBe(4 * 2);
    const stored = { ...(full.objective as ModelObjectiveSpec), data: { datasetId: 'ds_x' } };
    expect(modelStepWork(stored)).toBeNull();
    expect(modelStepWork({ ...stored, batchSize: 1000 })).toBe(1000 * 4482);
  });

  it('wants a device from minModelWork on, for first-order optimizers without gradient noise; never on a software adapter by default', () => {
    const large = model({ model: 'mlp', hidden: [64, 64], data: { builtin: 'two_moons', samples: 10_000 } });
    const small = model({ model: 'mlp', hidden: [16], batchSize: 64, data: { builtin: 'two_moons' } });
    expect(autoWantsDevice(large, rule)).toBe(true);
    expect(autoWantsDevice(small, rule)).toBe(false);
    expect(autoWantsDevice(large, { ...rule, minModelWork: 8000 * 4482 + 1 })).toBe(false);
    const lbfgs = model(
      { model: 'mlp', hidden: [64, 64], data: { builtin: 'two_moons', samples: 10_000 } },
      { optimizer: { name: 'lbfgs' } },
    );
    expect(autoWantsDevice(lbfgs, rule)).toBe(false);
    expect(chooseDevice(large, { software: false }, rule)).toBe('gpu');
    expect(chooseDevice(large, { software: true }, rule)).toBe('cpu');
    expect(chooseDevice(large, null, rule)).toBe('cpu');
    // builtins still go by their dimension
    const sphere = spec({
      objective: { type: 'builtin', name: 'sphere', dim: 100_000 },
      optimizer: { name: 'adam' },
      device: 'auto',
    });
    expect(autoWantsDevice(sphere, rule)).toBe(true);
    expect(autoWantsDevice(sphere, { ...rule, minDim: 100_001 })).toBe(false);
  });
});
