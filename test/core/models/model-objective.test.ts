import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../src/core/data/dataset.ts';
import { generateDataset } from '../../../src/core/data/generators.ts';
import { checkModelData, createModelObjective } from '../../../src/core/objectives/models/index.ts';
import { layerSizes, parameterCount } from '../../../src/core/objectives/models/spec.ts';
import { irisDataset, linearSpec, mlpSpec, randomDataset, randomVector } from './helpers.ts';

/** Two rows, two features, classes 0 and 1; no split, no scaling, so x maps straight to the formulas. */
const tiny: Dataset = {
  X: Float64Array.from([0.5, -1, 2, 0.25]),
  y: Float64Array.from([1, 0]),
  rows: 2,
  features: 2,
  task: 'classification',
  classes: 2,
};
const raw = { validationFraction: 0, standardize: false } as const;

describe('parameter layout: weights (fan_out × fan_in, row-major) then biases, layer by layer', () => {
  it('an MLP 2 → 3 (tanh) → 2 computes z = W x + b with W₁ = x[0..5], b₁ = x[6..8], W₂ = x[9..14], b₂ = x[15..16]', () => {
    const objective = createModelObjective(mlpSpec({ hidden: [3], ...raw }), tiny, 1);
    expect(objective.dim).toBe(17);
    const x = randomVector(2, 17);
    let expected = 0;
    for (let r = 0; r < 2; r++) {
      const input = [tiny.X[2 * r], tiny.X[2 * r + 1]];
      const hidden = [0, 1, 2].map((o) =>
        Math.tanh(x[6 + o] + x[o * 2] * input[0] + x[o * 2 + 1] * input[1]),
      );
      const logits = [0, 1].map(
        (o) => x[15 + o] + hidden.reduce((sum, a, i) => sum + x[9 + o * 3 + i] * a, 0),
      );
      const logSumExp = Math.log(Math.exp(logits[0]) + Math.exp(logits[1]));
      expected += (logSumExp - logits[tiny.y[r]]) / 2;
    }
    expect(objective.value(x)).toBeCloseTo(expected, 14);
  });

  it('logistic regression is w (features) then b; softmax regression W (K × features) then b (K)', () => {
    const logistic = createModelObjective(linearSpec('logistic_regression', raw), tiny, 1);
    const w = [0.3, -0.7];
    const b = 0.2;
    const z = [0, 1].map((r) => w[0] * tiny.X[2 * r] + w[1] * tiny.X[2 * r + 1] + b);
    // BCE = −y log σ(z) − (1 − y) log(1 − σ(z))
    const bce = z.map(
      (v, r) =>
        -(
          tiny.y[r] * Math.log(1 / (1 + Math.exp(-v))) +
          (1 - tiny.y[r]) * Math.log(1 - 1 / (1 + Math.exp(-v)))
        ),
    );
    expect(logistic.value(Float64Array.from([...w, b]))).toBeCloseTo((bce[0] + bce[1]) / 2, 14);

    const softmax = createModelObjective(linearSpec('softmax_regression', raw), tiny, 1);
    expect(softmax.dim).toBe(6);
    // W = [[1, 0], [0, 0]], b = [0, 3]: row 0 (0.5, −1) has z = (0.5, 3), row 1 (2, 0.25) has z = (2, 3)
    const theta = Float64Array.from([1, 0, 0, 0, 0, 3]);
    const ce = (zs: number[], label: number) => Math.log(Math.exp(zs[0]) + Math.exp(zs[1])) - zs[label];
    expect(softmax.value(theta)).toBeCloseTo((ce([0.5, 3], 1) + ce([2, 3], 0)) / 2, 14);
  });

  it('dim is Σ (fan_in·fan_out + fan_out) over the layers', () => {
    const iris = irisDataset();
    const spec = mlpSpec({ hidden: [16, 8] });
    expect(layerSizes(spec, 4, 3)).toEqual([4, 16, 8, 3]);
    expect(createModelObjective(spec, iris, 1).dim).toBe(parameterCount([4, 16, 8, 3]));
    expect(parameterCount([4, 16, 8, 3])).toBe(4 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3);
    expect(createModelObjective(mlpSpec({ task: 'regression' }), iris, 1).sizes).toEqual([4, 16, 16, 1]);
  });
});

describe('losses', () => {
  it('linear_regression is (1/n) Σ (ŷ − y)² + (l2/2)‖w‖² (bias not penalised)', () => {
    const data: Dataset = { ...tiny, task: 'regression', classes: 0, y: Float64Array.from([1.5, -2]) };
    const objective = createModelObjective(linearSpec('linear_regression', { ...raw, l2: 0.4 }), data, 1);
    const x = Float64Array.from([0.3, -0.7, 5]);
    const residuals = [0.3 * 0.5 + 0.7 + 5 - 1.5, 0.3 * 2 - 0.7 * 0.25 + 5 + 2];
    const mse = (residuals[0] ** 2 + residuals[1] ** 2) / 2;
    expect(objective.value(x)).toBeCloseTo(mse + 0.2 * (0.09 + 0.49), 14);
  });

  it('logistic loss stays finite and exact for huge logits (stable log-sigmoid)', () => {
    const objective = createModelObjective(linearSpec('logistic_regression', raw), tiny, 1);
    // w = (0, 0), b = ±800: σ(b) rounds to 1 or 0, the loss must not
    const g = new Float64Array(3);
    expect(objective.valueAndGradient(Float64Array.from([0, 0, 800]), g)).toBeCloseTo(400, 10);
    expect(g[2]).toBeCloseTo(0.5, 14); // (σ(800) − 1 + σ(800) − 0) / 2 = ½
    expect(objective.value(Float64Array.from([0, 0, -800]))).toBeCloseTo(400, 10);
  });

  it('softmax cross-entropy stays finite for huge logits (stable log-softmax)', () => {
    const objective = createModelObjective(linearSpec('softmax_regression', raw), tiny, 1);
    // b = (1000, 0): row 0 (label 1) loses 1000, row 1 (label 0) loses 0
    expect(objective.value(Float64Array.from([0, 0, 0, 0, 1000, 0]))).toBeCloseTo(500, 10);
  });
});

describe('validation and training metrics', () => {
  const data = generateDataset('blobs', { samples: 400, classes: 4, noise: 2 }, 3);
  const x = randomVector(4, createModelObjective(mlpSpec(), data, 5).dim, 0.5);

  it('validation loss leaves out l2, training loss includes it', () => {
    const plain = createModelObjective(mlpSpec(), data, 5);
    const penalised = createModelObjective(mlpSpec({ l2: 0.5 }), data, 5);
    expect(penalised.validation(x)?.loss).toBe(plain.validation(x)?.loss);
    let weights = 0;
    for (const [from, to] of [
      [0, 32],
      [48, 304],
      [320, 384],
    ]) {
      for (let i = from; i < to; i++) weights += x[i] * x[i];
    }
    expect(penalised.training(x).loss).toBeCloseTo(plain.training(x).loss + 0.25 * weights, 12);
  });

  it('accuracy is the share of validation rows whose largest output is the label', () => {
    const objective = createModelObjective(linearSpec('softmax_regression'), data, 5);
    const theta = randomVector(6, objective.dim);
    const { X, y, rows, features } = objective.data.validation;
    expect(rows).toBe(80);
    let correct = 0;
    for (let r = 0; r < rows; r++) {
      // z_k = b_k + Σ_j W[k][j]·x_j, W (4 × 2) at 0, b at 8
      const z = [0, 1, 2, 3].map(
        (k) =>
          theta[8 + k] +
          theta[k * features] * X[r * features] +
          theta[k * features + 1] * X[r * features + 1],
      );
      if (z.indexOf(Math.max(...z)) === y[r]) correct++;
    }
    expect(correct).toBeGreaterThan(0);
    expect(correct).toBeLessThan(rows);
    expect(objective.validation(theta)?.accuracy).toBe(correct / rows);
  });

  it('regression has accuracy null; validationFraction 0 has no validation', () => {
    const regression = createModelObjective(mlpSpec({ task: 'regression' }), randomDataset(1, 50, 3, 0), 1);
    expect(regression.validation(regression.defaultStart())?.accuracy).toBeNull();
    const none = createModelObjective(mlpSpec({ validationFraction: 0 }), data, 1);
    expect(none.data.validation.rows).toBe(0);
    expect(none.validation(none.defaultStart())).toBeNull();
  });

  it('standardisation uses the training split: training features have mean 0 and std 1, validation rows the same map', () => {
    const objective = createModelObjective(mlpSpec(), data, 5);
    const { mean, scale } = objective.data.standardization ?? { mean: [], scale: [] };
    const train = objective.data.training;
    for (let j = 0; j < 2; j++) {
      let sum = 0;
      let squares = 0;
      for (let r = 0; r < train.rows; r++) sum += train.X[r * 2 + j];
      for (let r = 0; r < train.rows; r++) squares += train.X[r * 2 + j] ** 2;
      expect(sum / train.rows).toBeCloseTo(0, 12);
      expect(Math.sqrt(squares / train.rows)).toBeCloseTo(1, 12);
    }
    // a validation row maps back to a row of the original data
    const row = Array.from(objective.data.validation.X.subarray(0, 2), (v, j) => v * scale[j] + mean[j]);
    const found = Array.from({ length: data.rows }, (_, r) => r).some(
      (r) => Math.abs(data.X[2 * r] - row[0]) < 1e-12 && Math.abs(data.X[2 * r + 1] - row[1]) < 1e-12,
    );
    expect(found).toBe(true);
    expect(createModelObjective(mlpSpec({ standardize: false }), data, 5).data.standardization).toBeNull();
  });
});

describe('start point', () => {
  it('MLP: seeded Glorot-uniform weights within ±√(6/(fan_in + fan_out)), zero biases; linear models start at 0', () => {
    const spec = mlpSpec({ hidden: [16, 8] });
    const data = irisDataset();
    const x = createModelObjective(spec, data, 1).defaultStart();
    expect(Array.from(createModelObjective(spec, data, 1).defaultStart())).toEqual(Array.from(x));
    expect(Array.from(createModelObjective(spec, data, 2).defaultStart())).not.toEqual(Array.from(x));
    const layers = [
      { from: 0, weights: 64, biases: 16, limit: Math.sqrt(6 / 20) },
      { from: 80, weights: 128, biases: 8, limit: Math.sqrt(6 / 24) },
      { from: 216, weights: 24, biases: 3, limit: Math.sqrt(6 / 11) },
    ];
    for (const { from, weights, biases, limit } of layers) {
      const w = x.subarray(from, from + weights);
      expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(limit);
      // uniform on (−a, a) has std a/√3; 64+ draws land near it
      const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / weights);
      expect(std).toBeGreaterThan(0.7 * (limit / Math.sqrt(3)));
      expect(std).toBeLessThan(1.3 * (limit / Math.sqrt(3)));
      expect(Array.from(x.subarray(from + weights, from + weights + biases))).toEqual(
        new Array(biases).fill(0),
      );
    }
    expect(
      Array.from(createModelObjective(linearSpec('softmax_regression'), data, 1).defaultStart()),
    ).toEqual(new Array(15).fill(0));
  });
});

describe('checkModelData', () => {
  it('names what is wrong', () => {
    const iris = irisDataset();
    const regression = randomDataset(1, 10, 2, 0);
    expect(checkModelData(linearSpec('logistic_regression'), iris)).toMatch(
      /exactly 2 classes; the data set has 3/,
    );
    expect(checkModelData(linearSpec('softmax_regression'), regression)).toMatch(/needs class labels/);
    expect(checkModelData(linearSpec('linear_regression'), iris)).toBeNull();
    expect(checkModelData(mlpSpec(), iris)).toBeNull();
    const bad = { ...iris, X: Float64Array.from(iris.X), y: Float64Array.from(iris.y) };
    bad.X[4 * 7 + 2] = Number.NaN;
    expect(checkModelData(mlpSpec(), bad)).toBe('row 7, feature 2: NaN is not a finite number');
    bad.X[4 * 7 + 2] = 1;
    bad.y[9] = 3;
    expect(checkModelData(mlpSpec(), bad)).toBe('row 9: label 3 is not a class index 0 … 2');
    expect(() => createModelObjective(mlpSpec(), bad, 1)).toThrow(/row 9/);
  });
});
