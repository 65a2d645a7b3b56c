import type { LossHead } from './spec.ts';

/**
 * The Hessian of the mean data loss of a one-layer model (linear, logistic or softmax regression)
 * z = W x + b over n rows, written row-major into h (dim × dim, every entry), in the parameter
 * layout W (K × d, row-major) then b (K). With x̃ = (x, 1) and Aᵣ = ∂²loss/∂z² of row r,
 *   H[(k, j), (l, m)] = (1/n) Σᵣ Aᵣ[k][l] · x̃ⱼ x̃ₘ,
 * where parameter (k, j) is W[k][j] for j < d and b[k] for j = d, and
 *   mse:                      A = 2
 *   binary cross-entropy:     A = σ(z)(1 − σ(z))
 *   softmax cross-entropy:    A = diag(p) − p pᵀ,  p = softmax(z).
 * `scratch` holds K + K² numbers (z, then A), so a call allocates nothing. The l2 term is the caller's.
 */
export function linearModelHessian(
  head: LossHead,
  X: Float64Array,
  rows: number,
  features: number,
  outputs: number,
  x: Float64Array,
  h: Float64Array,
  scratch: Float64Array,
): void {
  const d = features;
  const K = outputs;
  const dim = K * d + K;
  const biasOffset = K * d;
  h.fill(0, 0, dim * dim);
  const z = scratch;
  const scale = 1 / rows;
  for (let r = 0; r < rows; r++) {
    const row = r * d;
    for (let k = 0; k < K; k++) {
      let sum = x[biasOffset + k];
      for (let j = 0; j < d; j++) sum += x[k * d + j] * X[row + j];
      z[k] = sum;
    }
    outputCurvature(head, z, K);
    for (let k = 0; k < K; k++) {
      for (let l = 0; l < K; l++) {
        const a = scale * z[K + k * K + l];
        if (a === 0) continue;
        // rows (k, j) of H, columns (l, m): a·x̃ⱼ·x̃ₘ
        for (let j = 0; j <= d; j++) {
          const aj = j < d ? a * X[row + j] : a;
          const hRow = (j < d ? k * d + j : biasOffset + k) * dim;
          const columns = hRow + l * d;
          for (let m = 0; m < d; m++) h[columns + m] += aj * X[row + m];
          h[hRow + biasOffset + l] += aj;
        }
      }
    }
  }
  // The two triangles sum the same products in different orders; mirror the upper one so that
  // H is exactly symmetric (eigen-solvers and Newton's saddle-free mode assume it).
  for (let p = 0; p < dim; p++) {
    for (let q = p + 1; q < dim; q++) h[q * dim + p] = h[p * dim + q];
  }
}

/**
 * A = ∂²loss/∂z² at the outputs z = scratch[0, K), written after them (K × K, row-major, from
 * scratch[K]); see {@link linearModelHessian}. Overwrites z.
 */
function outputCurvature(head: LossHead, z: Float64Array, K: number): void {
  if (head === 'mse') {
    z[K] = 2;
    return;
  }
  if (head === 'binary_cross_entropy') {
    // σ(1 − σ) = e^−|z| / (1 + e^−|z|)², symmetric in z and free of overflow
    const e = Math.exp(-Math.abs(z[0]));
    z[K] = e / ((1 + e) * (1 + e));
    return;
  }
  let max = z[0];
  for (let k = 1; k < K; k++) if (z[k] > max) max = z[k];
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp(z[k] - max);
    z[k] = e;
    sum += e;
  }
  for (let k = 0; k < K; k++) z[k] /= sum;
  for (let k = 0; k < K; k++) {
    for (let l = 0; l < K; l++) z[K + k * K + l] = (k === l ? z[k] : 0) - z[k] * z[l];
  }
}
