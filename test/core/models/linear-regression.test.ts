import { Matrix, solve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { createModelObjective } from '../../../src/core/objectives/models/index.ts';
import { createNewton } from '../../../src/core/optimizers/newton.ts';
import { Rng } from '../../../src/core/random.ts';
import { linearSpec, train } from './helpers.ts';

/** 200 rows, 5 features, y = Xβ + 3 + N(0, 0.5²): a regression with a known structure. */
function regressionData() {
  const rng = Rng.fromSeed(11);
  const rows = 200;
  const features = 5;
  const beta = [1.5, -2, 0.5, 0, 3];
  const X = new Float64Array(rows * features);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let target = 3;
    for (let j = 0; j < features; j++) {
      X[r * features + j] = (j + 1) * rng.normal() + j;
      target += beta[j] * X[r * features + j];
    }
    y[r] = target + 0.5 * rng.normal();
  }
  return { X, y, rows, features, task: 'regression' as const, classes: 0 };
}

/**
 * The ridge solution, solved here from the normal equations with ml-matrix: minimising
 * (1/n)‖X̃θ − y‖² + (λ/2)‖w‖² (X̃ = [X 1], θ = (w, b)) gives (2/n X̃ᵀX̃ + λD) θ = 2/n X̃ᵀy,
 * D = diag(1, …, 1, 0) (the bias is not penalised).
 */
function ridge(X: Float64Array, y: Float64Array, rows: number, features: number, l2: number): number[] {
  const design = new Matrix(rows, features + 1);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < features; j++) design.set(r, j, X[r * features + j]);
    design.set(r, features, 1);
  }
  const normal = design
    .transpose()
    .mmul(design)
    .mul(2 / rows);
  for (let j = 0; j < features; j++) normal.set(j, j, normal.get(j, j) + l2);
  const rhs = design
    .transpose()
    .mmul(Matrix.columnVector(Array.from(y)))
    .mul(2 / rows);
  return solve(normal, rhs).getColumn(0);
}

describe('linear_regression', () => {
  it.each([
    { l2: 0, standardize: false },
    { l2: 0.3, standardize: true },
  ])(
    'Newton reaches the closed-form ridge solution in one step, to 1e-10 (l2 $l2, standardize $standardize)',
    ({ l2, standardize }) => {
      const objective = createModelObjective(
        linearSpec('linear_regression', { l2, standardize, validationFraction: 0.2 }),
        regressionData(),
        5,
      );
      const { X, y, rows, features } = objective.data.training;
      expect(rows).toBe(160);
      const expected = ridge(X, y, rows, features, l2);
      const newton = createNewton({ hessian: 'exact', damping: 1e-4, lineSearch: 'backtracking' });
      // The loss is quadratic, so one exact Newton step lands on the minimiser; ≤ 5 is the promise.
      const trace = train(objective, newton, 1, 5, objective.defaultStart(), 1e-9);
      expect(trace.f.length - 1).toBe(1);
      expect(trace.gradNorm).toBeLessThanOrEqual(1e-9);
      const worst = Math.max(
        ...expected.map((value, i) => Math.abs(trace.x[i] - value) / Math.max(1, Math.abs(value))),
      );
      expect(worst).toBeLessThan(1e-10);
    },
  );

  it('without l2 it recovers the generating coefficients to within the noise', () => {
    const objective = createModelObjective(
      linearSpec('linear_regression', { standardize: false, validationFraction: 0 }),
      regressionData(),
      5,
    );
    const newton = createNewton({ hessian: 'exact', damping: 1e-4, lineSearch: 'none' });
    const { x, f } = train(objective, newton, 1, 1);
    [1.5, -2, 0.5, 0, 3, 3].forEach((value, i) => {
      expect(Math.abs(x[i] - value)).toBeLessThan(0.25);
    });
    // MSE at the optimum ≈ the noise variance 0.25
    expect(f[1]).toBeGreaterThan(0.18);
    expect(f[1]).toBeLessThan(0.32);
  });
});
