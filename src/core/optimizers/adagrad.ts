import type { Optimizer } from '../types.ts';

export type AdagradState = { sumSquares: Float64Array };

export interface AdagradOptions {
  eps: number;
}

/**
 * AdaGrad (SEED-optimization.md; ε inside the root):
 *   G ← G + g²
 *   θ ← θ − α g / √(G + ε)
 */
export function createAdagrad(options: AdagradOptions): Optimizer<AdagradState> {
  return new Adagrad(options.eps);
}

/** Optimizers are classes: one `step` function for every run (see Optimizer). */
class Adagrad implements Optimizer<AdagradState> {
  readonly name = 'adagrad';

  constructor(private readonly eps: number) {}

  init(dim: number): AdagradState {
    return { sumSquares: new Float64Array(dim) };
  }

  step(x: Float64Array, next: Float64Array, g: Float64Array, lr: number, state: AdagradState): number {
    const eps = this.eps;
    const sum = state.sumSquares;
    const n = x.length;
    let poison = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const si = sum[i] + gi * gi;
      sum[i] = si;
      const xi = x[i] - (lr * gi) / Math.sqrt(si + eps);
      next[i] = xi;
      poison += xi * 0;
    }
    return poison;
  }
}
