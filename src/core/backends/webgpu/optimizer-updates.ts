import type { DeviceOptimizerSpec } from '../compute-backend.ts';
import type { CONFIG } from './run-layout.ts';

/**
 * The fused elementwise updates, in WGSL, exactly the CPU optimizers' formulas
 * (src/core/optimizers/*.ts), one pass per step. Each body reads `xi` (x₍ᵢ₋₁₎ⱼ) and `gi` (the
 * gradient, already clipped), its state arrays at `j`, and sets `next` (xᵢⱼ). Scalars hoisted
 * out of the loop: `lr` (lrᵢ), `config.*`, and Adam's `stepScale` and `biasCorrection2`.
 */
export interface UpdateRule {
  /** The optimizer's state arrays, named as the CPU optimizer's state (checkpoints share them). */
  stateArrays: string[];
  /** WGSL statements before the loop. */
  prologue: string;
  /** WGSL statements inside the loop. */
  body: string;
  config: Partial<Record<(typeof CONFIG.fields)[number][0], number>>;
}

export function updateRule(spec: DeviceOptimizerSpec): UpdateRule {
  switch (spec.name) {
    case 'sgd':
      // θ ← θ − α g
      return { stateArrays: [], prologue: '', body: 'let next = xi - lr * gi;', config: {} };
    case 'momentum':
      // v ← ρ v − α g; θ ← θ + v   (Nesterov: θ ← θ + ρ v − α g with the new v)
      return {
        stateArrays: ['velocity'],
        prologue: '',
        body: spec.nesterov
          ? `let gradStep = lr * gi;
    let vi = config.beta1 * velocity[j] - gradStep;
    velocity[j] = vi;
    let next = xi + (config.beta1 * vi - gradStep);`
          : `let vi = config.beta1 * velocity[j] - lr * gi;
    velocity[j] = vi;
    let next = xi + vi;`,
        config: { beta1: spec.rho },
      };
    case 'adagrad':
      // G ← G + g²; θ ← θ − α g / √(G + ε)
      return {
        stateArrays: ['sumSquares'],
        prologue: '',
        body: `let si = sumSquares[j] + gi * gi;
    sumSquares[j] = si;
    let next = xi - (lr * gi) / sqrt(si + config.eps);`,
        config: { eps: spec.eps },
      };
    case 'rmsprop':
      // s ← β s + (1 − β) g²; θ ← θ − α g / √(s + ε)
      return {
        stateArrays: ['meanSquare'],
        prologue: '',
        body: `let si = config.beta1 * meanSquare[j] + config.oneMinusBeta1 * gi * gi;
    meanSquare[j] = si;
    let next = xi - (lr * gi) / sqrt(si + config.eps);`,
        config: { beta1: spec.beta, oneMinusBeta1: 1 - spec.beta, eps: spec.eps },
      };
    case 'adam':
    case 'adamw': {
      // m ← β₁ m + (1 − β₁) g; v ← β₂ v + (1 − β₂) g²; m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)
      // (AMSGrad: v̂max ← max(v̂max, v̂) in v̂'s place); θ ← (1 − αλ) θ − α m̂ / (√v̂ + ε)
      const amsgrad = spec.amsgrad
        ? `
    if (vHat < vHatMax[j]) { vHat = vHatMax[j]; } else { vHatMax[j] = vHat; }`
        : '';
      return {
        stateArrays: spec.amsgrad ? ['m', 'v', 'vHatMax'] : ['m', 'v'],
        prologue: `let stepScale = lr * params.biasCorrection1;
  let decay = 1.0 - lr * config.weightDecay;`,
        body: `let mi = config.beta1 * m[j] + config.oneMinusBeta1 * gi;
    let vi = config.beta2 * v[j] + config.oneMinusBeta2 * gi * gi;
    m[j] = mi;
    v[j] = vi;
    var vHat = vi * params.biasCorrection2;${amsgrad}
    let next = decay * xi - (stepScale * mi) / (sqrt(vHat) + config.eps);`,
        config: {
          beta1: spec.beta1,
          oneMinusBeta1: 1 - spec.beta1,
          beta2: spec.beta2,
          oneMinusBeta2: 1 - spec.beta2,
          eps: spec.eps,
          weightDecay: spec.name === 'adamw' ? spec.weightDecay : 0,
        },
      };
    }
  }
}

/** Whether the steps need Adam's bias corrections 1/(1 − βᵗ) from the host. */
export function usesBiasCorrection(spec: DeviceOptimizerSpec): boolean {
  return spec.name === 'adam' || spec.name === 'adamw';
}
