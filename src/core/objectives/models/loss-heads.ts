import type { LossHead } from './spec.ts';

/** A network's output layer as the losses see it: the head and its width (K classes, or 1). */
export interface OutputHead {
  head: LossHead;
  outputs: number;
}

/**
 * The losses at a network's output, per row, over a chunk of `count` rows of outputs Z
 * (count × outputs, row-major) against targets y[yOffset …]. Returns the summed loss of the chunk
 * and, when `delta` is given, writes ∂(scale · Σ loss)/∂Z into it (count × outputs), the start of
 * backpropagation; the caller passes scale = 1/n for a mean over n rows. The branch on the head
 * is the same for every row, so it predicts perfectly.
 * - mse: (ŷ − y)², ∂/∂ŷ = 2(ŷ − y).
 * - binary_cross_entropy: BCE(σ(z), y) = −y log σ(z) − (1 − y) log(1 − σ(z)) = softplus(z) − y·z,
 *   softplus(z) = log(1 + eᶻ) = max(z, 0) + log1p(e^−|z|) (never overflows, exact for large |z|);
 *   ∂/∂z = σ(z) − y, σ(z) = 1/(1 + e^−z) for z >= 0 and eᶻ/(1 + eᶻ) below.
 * - softmax_cross_entropy: −log softmax(z)_y = logsumexp(z) − z_y, logsumexp(z) = m + log Σₖ
 *   e^(zₖ − m), m = maxₖ zₖ (no overflow; the largest term is exactly 1);
 *   ∂/∂zₖ = softmax(z)ₖ − [k = y].
 */
export function headLoss(
  { head, outputs }: OutputHead,
  Z: Float64Array,
  count: number,
  y: Float64Array,
  yOffset: number,
  delta: Float64Array | null,
  scale: number,
): number {
  let loss = 0;
  for (let r = 0; r < count; r++) {
    const target = y[yOffset + r];
    if (head === 'mse') {
      const residual = Z[r] - target;
      loss += residual * residual;
      if (delta !== null) delta[r] = 2 * scale * residual;
    } else if (head === 'binary_cross_entropy') {
      const z = Z[r];
      const e = Math.exp(-Math.abs(z));
      loss += Math.max(z, 0) + Math.log1p(e) - target * z;
      if (delta !== null) delta[r] = scale * ((z >= 0 ? 1 / (1 + e) : e / (1 + e)) - target);
    } else {
      const row = r * outputs;
      let max = Z[row];
      for (let k = 1; k < outputs; k++) if (Z[row + k] > max) max = Z[row + k];
      let sum = 0;
      if (delta === null) {
        for (let k = 0; k < outputs; k++) sum += Math.exp(Z[row + k] - max);
      } else {
        // e^(zₖ − m) parked in delta, normalised once the sum is known
        for (let k = 0; k < outputs; k++) {
          const e = Math.exp(Z[row + k] - max);
          delta[row + k] = e;
          sum += e;
        }
        const normalizer = scale / sum;
        for (let k = 0; k < outputs; k++) delta[row + k] *= normalizer;
        delta[row + target] -= scale;
      }
      loss += max + Math.log(sum) - Z[row + target];
    }
  }
  return loss;
}

/**
 * Rows of the chunk whose predicted class equals y: the largest output (the lowest class index on
 * ties) for softmax, z > 0 (σ(z) > ½) for binary cross-entropy; 0 for regression.
 */
export function correctPredictions(
  { head, outputs }: OutputHead,
  Z: Float64Array,
  count: number,
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
