import type { Optimizer } from '../types.ts';

export type RmspropState = { meanSquare: Float64Array };

export interface RmspropOptions {
  beta: number;
  eps: number;
}

/**
 * RMSProp (SEED-optimization.md; ε inside the root):
 *   s ← β s + (1 − β) g²
 *   θ ← θ − α g / √(s + ε)
 */
export function createRmsprop({ beta, eps }: RmspropOptions): Optimizer<RmspropState> {
  const oneMinusBeta = 1 - beta;
  return {
    name: 'rmsprop',
    init: (dim) => ({ meanSquare: new Float64Array(dim) }),
    step(x, next, g, lr, state) {
      const s = state.meanSquare;
      const n = x.length;
      let poison = 0;
      for (let i = 0; i < n; i++) {
        const gi = g[i];
        const si = beta * s[i] + oneMinusBeta * gi * gi;
        s[i] = si;
        const xi = x[i] - (lr * gi) / Math.sqrt(si + eps);
        next[i] = xi;
        poison += xi * 0;
      }
      return poison;
    },
  };
}
