import type { Optimizer } from '../types.ts';

/** SGD keeps no state. */
export type SgdState = null;

/**
 * Stochastic gradient descent:
 *   θ ← θ − α g
 */
export function createSgd(): Optimizer<SgdState> {
  return new Sgd();
}

/** Optimizers are classes: one `step` function for every run (see Optimizer). */
class Sgd implements Optimizer<SgdState> {
  readonly name = 'sgd';

  init(): SgdState {
    return null;
  }

  step(x: Float64Array, next: Float64Array, g: Float64Array, lr: number): number {
    const n = x.length;
    let poison = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i] - lr * g[i];
      next[i] = xi;
      poison += xi * 0;
    }
    return poison;
  }
}
