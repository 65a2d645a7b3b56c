import type { Optimizer } from '../types.ts';

/** SGD keeps no state. */
export type SgdState = null;

/**
 * Stochastic gradient descent:
 *   θ ← θ − α g
 */
export function createSgd(): Optimizer<SgdState> {
  return {
    name: 'sgd',
    init: () => null,
    step(x, next, g, lr) {
      const n = x.length;
      let poison = 0;
      for (let i = 0; i < n; i++) {
        const xi = x[i] - lr * g[i];
        next[i] = xi;
        poison += xi * 0;
      }
      return poison;
    },
  };
}
