import type { LossHead } from './spec.ts';

/**
 * The losses at a network's output, per row, over a chunk of `count` rows of outputs Z
 * (count × outputs, row-major) against targets y[yOffset …]. Each returns the summed loss of the
 * chunk and, when `delta` is given, writes ∂(scale · Σ loss)/∂Z into it (count × outputs), the
 * start of backpropagation; the caller passes scale = 1/n for a mean over n rows.
 */
export function headLoss(
  head: LossHead,
  Z: Float64Array,
  count: number,
  outputs: number,
  y: Float64Array,
  yOffset: number,
  delta: Float64Array | null,
  scale: number,
): number {
  switch (head) {
    case 'mse':
      return squaredError(Z, count, y, yOffset, delta, scale);
    case 'binary_cross_entropy':
      return binaryCrossEntropy(Z, count, y, yOffset, delta, scale);
    case 'softmax_cross_entropy':
      return softmaxCrossEntropy(Z, count, outputs, y, yOffset, delta, scale);
  }
}

/** (ŷ − y)², ∂/∂ŷ = 2(ŷ − y). */
function squaredError(
  Z: Float64Array,
  count: number,
  y: Float64Array,
  yOffset: number,
  delta: Float64Array | null,
  scale: number,
): number {
  let loss = 0;
  for (let r = 0; r < count; r++) {
    const residual = Z[r] - y[yOffset + r];
    loss += residual * residual;
    if (delta !== null) delta[r] = 2 * scale * residual;
  }
  return loss;
}

/**
 * BCE(σ(z), y) = −y log σ(z) − (1 − y) log(1 − σ(z)) = softplus(z) − y·z, with
 * softplus(z) = log(1 + eᶻ) = max(z, 0) + log1p(e^−|z|) (never overflows, exact for large |z|);
 * ∂/∂z = σ(z) − y, σ(z) = 1/(1 + e^−z) for z >= 0 and eᶻ/(1 + eᶻ) below.
 */
function binaryCrossEntropy(
  Z: Float64Array,
  count: number,
  y: Float64Array,
  yOffset: number,
  delta: Float64Array | null,
  scale: number,
): number {
  let loss = 0;
  for (let r = 0; r < count; r++) {
    const z = Z[r];
    const target = y[yOffset + r];
    const e = Math.exp(-Math.abs(z));
    loss += Math.max(z, 0) + Math.log1p(e) - target * z;
    if (delta !== null) delta[r] = scale * ((z >= 0 ? 1 / (1 + e) : e / (1 + e)) - target);
  }
  return loss;
}

/**
 * −log softmax(z)_y = logsumexp(z) − z_y with logsumexp(z) = m + log Σₖ e^(zₖ − m), m = maxₖ zₖ
 * (no overflow, and the largest term is exactly 1); ∂/∂zₖ = softmax(z)ₖ − [k = y].
 */
function softmaxCrossEntropy(
  Z: Float64Array,
  count: number,
  outputs: number,
  y: Float64Array,
  yOffset: number,
  delta: Float64Array | null,
  scale: number,
): number {
  let loss = 0;
  for (let r = 0; r < count; r++) {
    const row = r * outputs;
    let max = Z[row];
    for (let k = 1; k < outputs; k++) if (Z[row + k] > max) max = Z[row + k];
    let sum = 0;
    if (delta === null) {
      for (let k = 0; k < outputs; k++) sum += Math.exp(Z[row + k] - max);
    } else {
      // e^(zₖ − m) parked in delta, normalised below once the sum is known
      for (let k = 0; k < outputs; k++) {
        const e = Math.exp(Z[row + k] - max);
        delta[row + k] = e;
        sum += e;
      }
    }
    const label = y[yOffset + r];
    loss += max + Math.log(sum) - Z[row + label];
    if (delta !== null) {
      const normalizer = scale / sum;
      for (let k = 0; k < outputs; k++) delta[row + k] *= normalizer;
      delta[row + label] -= scale;
    }
  }
  return loss;
}

/**
 * Rows of the chunk whose predicted class equals y: the largest output (the lowest class index on
 * ties) for softmax, z > 0 (σ(z) > ½) for binary cross-entropy; 0 for regression.
 */
export function correctPredictions(
  head: LossHead,
  Z: Float64Array,
  count: number,
  outputs: number,
  y: Float64Array,
  yOffset: number,
): number {
  let correct = 0;
  if (head === 'binary_cross_entropy') {
    for (let r = 0; r < count; r++) if ((Z[r] > 0 ? 1 : 0) === y[yOffset + r]) correct++;
  } else if (head === 'softmax_cross_entropy') {
    for (let r = 0; r < count; r++) {
      const row = r * outputs;
      let best = 0;
      for (let k = 1; k < outputs; k++) if (Z[row + k] > Z[row + best]) best = k;
      if (best === y[yOffset + r]) correct++;
    }
  }
  return correct;
}
