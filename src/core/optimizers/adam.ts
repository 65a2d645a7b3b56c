import type { Optimizer } from '../types.ts';

/** First and second moments; `vHatMax` (AMSGrad only, else empty) is the running max of v̂. */
export type AdamState = { m: Float64Array; v: Float64Array; vHatMax: Float64Array };

export interface AdamOptions {
  beta1: number;
  beta2: number;
  eps: number;
  amsgrad: boolean;
}

/**
 * Adam (SEED-optimization.md; ε outside the root), at 1-based step t:
 *   m ← β₁ m + (1 − β₁) g
 *   v ← β₂ v + (1 − β₂) g²
 *   m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
 *   θ ← θ − α m̂ / (√v̂ + ε)
 *
 * AMSGrad (`amsgrad: true`) takes the maximum over the bias-corrected v̂ (Reddi et al. with bias
 * correction, not PyTorch's max over the raw v):
 *   v̂max ← max(v̂max, v̂);  θ ← θ − α m̂ / (√v̂max + ε)
 */
export function createAdam(options: AdamOptions): Optimizer<AdamState> {
  return {
    name: 'adam',
    init: (dim) => initAdamState(dim, options.amsgrad),
    step(x, g, lr, state, t) {
      adamUpdate(x, g, lr, state, t, options, 1);
    },
  };
}

export function initAdamState(dim: number, amsgrad: boolean): AdamState {
  return {
    m: new Float64Array(dim),
    v: new Float64Array(dim),
    vHatMax: new Float64Array(amsgrad ? dim : 0),
  };
}

/**
 * The fused Adam kernel, shared with AdamW: x ← decay·x − α m̂ / (√v̂ + ε). Adam passes
 * decay = 1 (multiplying by 1 is exact). Scalars are hoisted so the loop is one pass, no calls
 * but Math.sqrt.
 */
export function adamUpdate(
  x: Float64Array,
  g: Float64Array,
  lr: number,
  state: AdamState,
  t: number,
  { beta1, beta2, eps, amsgrad }: AdamOptions,
  decay: number,
): void {
  const m = state.m;
  const v = state.v;
  const oneMinusBeta1 = 1 - beta1;
  const oneMinusBeta2 = 1 - beta2;
  // α m̂ = (α / (1 − β₁ᵗ)) m;  v̂ = v / (1 − β₂ᵗ)
  const stepScale = lr / (1 - beta1 ** t);
  const invBiasCorrection2 = 1 / (1 - beta2 ** t);
  const n = x.length;
  if (amsgrad) {
    const vHatMax = state.vHatMax;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = beta1 * m[i] + oneMinusBeta1 * gi;
      const vi = beta2 * v[i] + oneMinusBeta2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      let vHat = vi * invBiasCorrection2;
      if (vHat < vHatMax[i]) vHat = vHatMax[i];
      else vHatMax[i] = vHat;
      x[i] = decay * x[i] - (stepScale * mi) / (Math.sqrt(vHat) + eps);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = beta1 * m[i] + oneMinusBeta1 * gi;
      const vi = beta2 * v[i] + oneMinusBeta2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      x[i] = decay * x[i] - (stepScale * mi) / (Math.sqrt(vi * invBiasCorrection2) + eps);
    }
  }
}
