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
  return new Rmsprop(beta, eps);
}

/** Optimizers are classes: one `step` function for every run (see Optimizer). */
class Rmsprop implements Optimizer<RmspropState> {
  readonly name = 'rmsprop';

  constructor(
    private readonly beta: number,
    private readonly eps: number,
  ) {}

  init(dim: number): RmspropState {
    return { meanSquare: new Float64Array(dim) };
  }

  step(x: Float64Array, next: Float64Array, g: Float64Array, lr: number, state: RmspropState): number {
    const beta = this.beta;
    const oneMinusBeta = 1 - beta;
    const eps = this.eps;
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
  }
}
