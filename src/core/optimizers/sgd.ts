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
    step(x, g, lr) {
      const n = x.length;
      for (let i = 0; i < n; i++) x[i] -= lr * g[i];
    },
  };
}
