import { Matrix, solve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import type { DataObjective } from '../../../src/core/objectives/models/data-objective.ts';
import { createModelObjective } from '../../../src/core/objectives/models/index.ts';
import { createLbfgs } from '../../../src/core/optimizers/lbfgs.ts';
import { irisDataset, keepClasses, linearSpec, norm, train } from './helpers.ts';

/**
 * Logistic and softmax regression on iris, trained by the core's L-BFGS, against the optimum of
 * an independent method written here: Newton's method on the same loss in matrix form with
 * ml-matrix (its own gradient and Hessian, no code shared with the models), run to a gradient
 * norm of 1e-12. With l2 = 1e-3 the optimum of the weights is unique (setosa is separable, so
 * without it softmax regression has no minimiser).
 *
 * Softmax regression's biases are determined only up to a common shift (adding c to every bₖ
 * changes no probability and is not penalised); the gradient's bias part always sums to 0, so
 * L-BFGS from b = 0 keeps Σ bₖ = 0, and the test compares centred biases.
 */

const L2 = 1e-3;

/** Rows of X with a trailing 1 column: X̃ = [X 1]. */
function design(X: Float64Array, rows: number, features: number): Matrix {
  const m = new Matrix(rows, features + 1);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < features; j++) m.set(r, j, X[r * features + j]);
    m.set(r, features, 1);
  }
  return m;
}

/**
 * Multinomial (K classes) or binary (K = 1, sigmoid) logistic loss
 *   (1/n) Σ −log p(yᵣ | x̃ᵣ) + (λ/2) Σ W², θ = rows [wₖ, bₖ] (K × (d+1)),
 * minimised by Newton's method θ ← θ − H⁺ g (least-squares solve, which handles the softmax
 * biases' flat direction) until ‖g‖ <= 1e-12. Returns θ in the models' layout: W row-major, then b.
 */
function newtonOptimum(X: Matrix, y: Float64Array, K: number): { theta: number[]; loss: number } {
  const n = X.rows;
  const p = X.columns;
  const dim = K * p;
  let theta = new Float64Array(dim);
  const evaluate = () => {
    const scores = X.mmul(
      new Matrix(
        Array.from({ length: K }, (_, k) => Array.from(theta.subarray(k * p, (k + 1) * p))),
      ).transpose(),
    );
    const gradient = new Float64Array(dim);
    const hessian = Matrix.zeros(dim, dim);
    let loss = 0;
    for (let r = 0; r < n; r++) {
      const s = scores.getRow(r);
      let probabilities: number[];
      if (K === 1) {
        const q = 1 / (1 + Math.exp(-s[0]));
        loss -= y[r] === 1 ? Math.log(q) : Math.log(1 - q);
        probabilities = [q];
      } else {
        const max = Math.max(...s);
        const exps = s.map((v) => Math.exp(v - max));
        const total = exps.reduce((a, b) => a + b, 0);
        probabilities = exps.map((e) => e / total);
        loss -= Math.log(probabilities[y[r]]);
      }
      const xr = X.getRow(r);
      for (let k = 0; k < K; k++) {
        const target = K === 1 ? y[r] : y[r] === k ? 1 : 0;
        for (let j = 0; j < p; j++) gradient[k * p + j] += ((probabilities[k] - target) * xr[j]) / n;
        for (let l = 0; l < K; l++) {
          const a =
            K === 1
              ? probabilities[0] * (1 - probabilities[0])
              : (k === l ? probabilities[k] : 0) - probabilities[k] * probabilities[l];
          for (let j = 0; j < p; j++) {
            for (let m = 0; m < p; m++)
              hessian.set(k * p + j, l * p + m, hessian.get(k * p + j, l * p + m) + (a * xr[j] * xr[m]) / n);
          }
        }
      }
    }
    loss /= n;
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < p - 1; j++) {
        const index = k * p + j;
        loss += 0.5 * L2 * theta[index] ** 2;
        gradient[index] += L2 * theta[index];
        hessian.set(index, index, hessian.get(index, index) + L2);
      }
    }
    return { loss, gradient, hessian };
  };
  let state = evaluate();
  for (let iteration = 0; iteration < 100 && norm(state.gradient) > 1e-12; iteration++) {
    const step = solve(state.hessian, Matrix.columnVector(Array.from(state.gradient)), true).getColumn(0);
    theta = theta.map((value, i) => value - step[i]);
    state = evaluate();
  }
  expect(norm(state.gradient)).toBeLessThanOrEqual(1e-12);
  // [wₖ, bₖ] rows → W (K × d) row-major, then b (K)
  const weights: number[] = [];
  const biases: number[] = [];
  for (let k = 0; k < K; k++) {
    weights.push(...theta.subarray(k * p, k * p + p - 1));
    biases.push(theta[k * p + p - 1]);
  }
  return { theta: [...weights, ...biases], loss: state.loss };
}

/**
 * L-BFGS (history 10, strong Wolfe, lr 1) from 0 until ‖g‖ <= 1e-9 (below that, f changes by
 * less than its rounding and the line search cannot resolve a decrease), at the reference loss.
 */
function lbfgsOptimum(objective: DataObjective, referenceLoss: number) {
  const trace = train(
    objective,
    createLbfgs({ history: 10, lineSearch: 'strong_wolfe' }),
    1,
    1000,
    undefined,
    1e-9,
  );
  expect(trace.gradNorm).toBeLessThanOrEqual(1e-9);
  expect(Math.abs(trace.f[trace.f.length - 1] - referenceLoss)).toBeLessThan(1e-12);
  return trace;
}

function centreBiases(theta: ArrayLike<number>, K: number): number[] {
  const out = Array.from(theta);
  const start = out.length - K;
  const mean = out.slice(start).reduce((a, b) => a + b, 0) / K;
  for (let k = start; k < out.length; k++) out[k] -= mean;
  return out;
}

describe('iris', () => {
  it('logistic regression (versicolor vs virginica) with L-BFGS reaches the independent Newton optimum', () => {
    const data = keepClasses(irisDataset(), [1, 2]);
    const objective = createModelObjective(linearSpec('logistic_regression', { l2: L2 }), data, 7);
    const { X, y, rows, features } = objective.data.training;
    expect(rows).toBe(80);
    const reference = newtonOptimum(design(X, rows, features), y, 1);
    const trace = lbfgsOptimum(objective, reference.loss);
    reference.theta.forEach((value, i) => {
      expect(Math.abs(trace.x[i] - value)).toBeLessThan(1e-7 * Math.max(1, Math.abs(value)));
    });
  });

  it('softmax regression (3 species) with L-BFGS reaches the independent Newton optimum', () => {
    const objective = createModelObjective(linearSpec('softmax_regression', { l2: L2 }), irisDataset(), 7);
    const { X, y, rows, features } = objective.data.training;
    expect(rows).toBe(120);
    const reference = newtonOptimum(design(X, rows, features), y, 3);
    const trace = lbfgsOptimum(objective, reference.loss);
    const ours = centreBiases(trace.x, 3);
    const theirs = centreBiases(reference.theta, 3);
    theirs.forEach((value, i) => {
      expect(Math.abs(ours[i] - value)).toBeLessThan(1e-6 * Math.max(1, Math.abs(value)));
    });
    // and classifies held-out flowers far above chance (1/3): 26 of the 30 at this small l2
    expect(objective.validation(trace.x)?.accuracy).toBeGreaterThan(0.8);
  });
});
