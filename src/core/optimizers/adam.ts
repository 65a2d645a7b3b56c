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
  return createAdamFamily('adam', options, 0);
}

/**
 * The first step t >= 1 at which the bias correction 1 − βᵗ, computed, is exactly 1; it stays 1
 * after (βᵗ only shrinks as t grows). From there the kernel uses 1 and skips Math.pow, bit for
 * bit the same result: 356 steps for β = 0.9 and 37,412 for 0.999. Math.pow is most of the cost
 * of a low-dimensional Adam step, so long runs get that back. Starts from the estimate
 * ⌈ln 2⁻⁵⁴ / ln β⌉ (below 2⁻⁵⁴, 1 − βᵗ rounds to 1) and settles the exact step by evaluating.
 */
export function saturationStep(beta: number): number {
  if (beta <= 0) return 1;
  const saturated = (t: number) => 1 - beta ** t === 1;
  let t = Math.max(1, Math.ceil(Math.log(2 ** -54) / Math.log(beta)));
  while (t > 1 && saturated(t - 1)) t--;
  while (!saturated(t)) t++;
  return t;
}

export function initAdamState(dim: number, amsgrad: boolean): AdamState {
  return {
    m: new Float64Array(dim),
    v: new Float64Array(dim),
    vHatMax: new Float64Array(amsgrad ? dim : 0),
  };
}

/**
 * Adam and AdamW share one fused kernel ({@link AdamFamily}); AdamW adds weightDecay λ.
 */
export function createAdamFamily(
  name: 'adam' | 'adamw',
  options: AdamOptions,
  weightDecay: number,
): Optimizer<AdamState> {
  return new AdamFamily(name, options, weightDecay);
}

/**
 * The fused kernel of Adam and AdamW: next ← decay·x − αᵢ m̂ / (√v̂ + ε) with decay = 1 − αᵢ·λ
 * (Adam has λ = 0, so decay is exactly 1 and decay·x exactly x); with AMSGrad
 * v̂max ← max(v̂max, v̂) takes v̂'s place. One pass, no calls but Math.sqrt, scalars hoisted (the
 * AMSGrad branch is the same every element, so it predicts perfectly); returns Σ next·0 (see
 * Optimizer.step). The bias corrections skip Math.pow from the step where they are exactly 1
 * ({@link saturationStep}).
 *
 * A class, not an object of closures: every instance shares one `step` function, so the run
 * loop's call site stays monomorphic across runs (a fresh closure per run is a new call target,
 * and V8 deoptimizes the loop each time a run starts).
 */
class AdamFamily implements Optimizer<AdamState> {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly amsgrad: boolean;
  /** First steps at which 1 − β₁ᵗ and 1 − β₂ᵗ are exactly 1. */
  private readonly saturation1: number;
  private readonly saturation2: number;

  constructor(
    readonly name: 'adam' | 'adamw',
    { beta1, beta2, eps, amsgrad }: AdamOptions,
    private readonly weightDecay: number,
  ) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.amsgrad = amsgrad;
    this.saturation1 = saturationStep(beta1);
    this.saturation2 = saturationStep(beta2);
  }

  init(dim: number): AdamState {
    return initAdamState(dim, this.amsgrad);
  }

  step(
    x: Float64Array,
    next: Float64Array,
    g: Float64Array,
    lr: number,
    state: AdamState,
    t: number,
  ): number {
    const { beta1, beta2, eps, amsgrad } = this;
    const m = state.m;
    const v = state.v;
    const vHatMax = state.vHatMax;
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    const decay = 1 - lr * this.weightDecay;
    // α m̂ = (α / (1 − β₁ᵗ)) m;  v̂ = v / (1 − β₂ᵗ)
    const stepScale = lr / (t >= this.saturation1 ? 1 : 1 - beta1 ** t);
    const invBiasCorrection2 = 1 / (t >= this.saturation2 ? 1 : 1 - beta2 ** t);
    const n = x.length;
    let poison = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = beta1 * m[i] + oneMinusBeta1 * gi;
      const vi = beta2 * v[i] + oneMinusBeta2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      let vHat = vi * invBiasCorrection2;
      if (amsgrad) {
        if (vHat < vHatMax[i]) vHat = vHatMax[i];
        else vHatMax[i] = vHat;
      }
      const xi = decay * x[i] - (stepScale * mi) / (Math.sqrt(vHat) + eps);
      next[i] = xi;
      poison += xi * 0;
    }
    return poison;
  }
}
