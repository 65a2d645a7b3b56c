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
export function createAdagrad({ eps }: AdagradOptions): Optimizer<AdagradState> {
  return {
    name: 'adagrad',
    init: (dim) => ({ sumSquares: new Float64Array(dim) }),
    step(x, g, lr, state) {
      const sum = state.sumSquares;
      const n = x.length;
      for (let i = 0; i < n; i++) {
        const gi = g[i];
        const si = sum[i] + gi * gi;
        sum[i] = si;
        x[i] -= (lr * gi) / Math.sqrt(si + eps);
      }
    },
  };
}
