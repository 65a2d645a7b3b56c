import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DataObjective } from '../../../src/core/objectives/models/data-objective.ts';
import { createModelObjective } from '../../../src/core/objectives/models/index.ts';
import type { ModelSpec } from '../../../src/core/objectives/models/spec.ts';
import { linearSpec, mlpSpec, randomDataset, randomVector } from './helpers.ts';

/**
 * Backpropagation and the closed-form Hessians against central differences, on small random
 * data sets and random parameters (fast-check draws the shapes, l2, batch size and seeds; its
 * own seed is fixed so a failure reproduces).
 *   ∂f/∂xᵢ ≈ (f(x + hεᵢ) − f(x − hεᵢ)) / 2h,  ∂²f/∂xᵢ∂xⱼ ≈ (∂f/∂xⱼ(x + hεᵢ) − ∂f/∂xⱼ(x − hεᵢ)) / 2h
 * with h = 1e-5·max(1, |xᵢ|): truncation error ~h² and rounding ~ε/h, both far below the 1e-6
 * tolerance.
 */

const STEP = 1e-5;
const TOLERANCE = 1e-6;

interface Case {
  seed: number;
  rows: number;
  features: number;
  classes: number;
  l2: number;
  batchFraction: number;
  batches: number;
}

const caseArbitrary = (maxClasses: number) =>
  fc.record({
    seed: fc.integer(),
    rows: fc.integer({ min: 2, max: 9 }),
    features: fc.integer({ min: 1, max: 4 }),
    classes: fc.integer({ min: 2, max: maxClasses }),
    l2: fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 2, noNaN: true })),
    batchFraction: fc.double({ min: 0.1, max: 1, noNaN: true }),
    batches: fc.integer({ min: 0, max: 3 }),
  });

/** The objective of `spec` on a random data set, moved `batches` batches along, and random parameters. */
function build(makeSpec: (c: Case) => ModelSpec, c: Case, regression: boolean) {
  const dataset = randomDataset(c.seed, c.rows, c.features, regression ? 0 : c.classes);
  const spec = {
    ...makeSpec(c),
    l2: c.l2,
    validationFraction: 0,
    batchSize: Math.max(1, Math.round(c.batchFraction * c.rows)),
  };
  const objective = createModelObjective(spec, dataset, c.seed);
  for (let k = 0; k < c.batches; k++) objective.nextBatch();
  return { objective, x: randomVector(c.seed ^ 0x5eed, objective.dim) };
}

function worstGradientError(objective: DataObjective, x: Float64Array): number {
  const g = new Float64Array(objective.dim);
  const f = objective.valueAndGradient(x, g);
  expect(objective.value(x)).toBe(f);
  let worst = 0;
  const probe = Float64Array.from(x);
  for (let i = 0; i < objective.dim; i++) {
    const h = STEP * Math.max(1, Math.abs(x[i]));
    probe[i] = x[i] + h;
    const up = objective.value(probe);
    probe[i] = x[i] - h;
    const down = objective.value(probe);
    probe[i] = x[i];
    const numeric = (up - down) / (2 * h);
    worst = Math.max(worst, Math.abs(numeric - g[i]) / Math.max(1, Math.abs(g[i])));
  }
  return worst;
}

function worstHessianError(objective: DataObjective, x: Float64Array): number {
  const dim = objective.dim;
  const h = new Float64Array(dim * dim);
  objective.hessian?.(x, h);
  const up = new Float64Array(dim);
  const down = new Float64Array(dim);
  const probe = Float64Array.from(x);
  let worst = 0;
  for (let i = 0; i < dim; i++) {
    const step = STEP * Math.max(1, Math.abs(x[i]));
    probe[i] = x[i] + step;
    objective.valueAndGradient(probe, up);
    probe[i] = x[i] - step;
    objective.valueAndGradient(probe, down);
    probe[i] = x[i];
    for (let j = 0; j < dim; j++) {
      const numeric = (up[j] - down[j]) / (2 * step);
      const exact = h[i * dim + j];
      worst = Math.max(worst, Math.abs(numeric - exact) / Math.max(1, Math.abs(exact)));
      // exactly symmetric: both triangles come from the same products
      expect(h[j * dim + i]).toBe(exact);
    }
  }
  return worst;
}

const models: { name: string; regression: boolean; maxClasses: number; spec: (c: Case) => ModelSpec }[] = [
  { name: 'linear_regression', regression: true, maxClasses: 2, spec: () => linearSpec('linear_regression') },
  {
    name: 'logistic_regression',
    regression: false,
    maxClasses: 2,
    spec: () => linearSpec('logistic_regression'),
  },
  {
    name: 'softmax_regression',
    regression: false,
    maxClasses: 4,
    spec: () => linearSpec('softmax_regression'),
  },
  {
    name: 'mlp tanh classification [5, 3]',
    regression: false,
    maxClasses: 4,
    spec: () => mlpSpec({ hidden: [5, 3], activation: 'tanh' }),
  },
  {
    name: 'mlp relu classification [6]',
    regression: false,
    maxClasses: 3,
    spec: () => mlpSpec({ hidden: [6], activation: 'relu' }),
  },
  {
    name: 'mlp tanh regression [4, 4]',
    regression: true,
    maxClasses: 2,
    spec: () => mlpSpec({ hidden: [4, 4], activation: 'tanh', task: 'regression' }),
  },
  {
    name: 'mlp relu regression [7, 2]',
    regression: true,
    maxClasses: 2,
    spec: () => mlpSpec({ hidden: [7, 2], activation: 'relu', task: 'regression' }),
  },
];

describe('model gradients', () => {
  it.each(models)('$name: backpropagation matches central differences on the current batch', (model) => {
    fc.assert(
      fc.property(caseArbitrary(model.maxClasses), (c) => {
        const { objective, x } = build(model.spec, c, model.regression);
        expect(worstGradientError(objective, x)).toBeLessThan(TOLERANCE);
      }),
      { seed: 12, numRuns: 60 },
    );
  });

  it('an MLP wider than one chunk of rows (150 rows, chunks of 64) still matches central differences', () => {
    const dataset = randomDataset(3, 150, 3, 3);
    const objective = createModelObjective(
      { ...mlpSpec({ hidden: [8, 8] }), validationFraction: 0, l2: 0.1 },
      dataset,
      3,
    );
    expect(worstGradientError(objective, randomVector(4, objective.dim))).toBeLessThan(TOLERANCE);
  });
});

describe('closed-form Hessians', () => {
  it.each(models.slice(0, 3))(
    '$name: the Hessian matches differences of the gradient and is symmetric',
    (model) => {
      fc.assert(
        fc.property(caseArbitrary(model.maxClasses), (c) => {
          const { objective, x } = build(model.spec, c, model.regression);
          expect(objective.hessian).toBeTypeOf('function');
          expect(worstHessianError(objective, x)).toBeLessThan(TOLERANCE);
        }),
        { seed: 34, numRuns: 60 },
      );
    },
  );

  it('the MLP has no hessian method (Newton and the diagnostics must see that)', () => {
    const objective = createModelObjective(mlpSpec(), randomDataset(1, 20, 2, 2), 1);
    expect('hessian' in objective).toBe(false);
  });
});
