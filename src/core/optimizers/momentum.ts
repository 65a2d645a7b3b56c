import type { Optimizer } from '../types.ts';

export type MomentumState = { velocity: Float64Array };

export interface MomentumOptions {
  rho: number;
  nesterov: boolean;
}

/**
 * Heavy-ball momentum (SEED-optimization.md):
 *   v ← ρ v − α g
 *   θ ← θ + v
 *
 * Nesterov (`nesterov: true`), in the reformulation that needs only the gradient at θ (Sutskever
 * et al. 2013; the form torch.optim.SGD uses): with the look-ahead variable as θ,
 *   v ← ρ v − α g
 *   θ ← θ + ρ v − α g          (v is the updated velocity)
 * i.e. the step applies the new velocity once more, scaled by ρ, on top of the gradient step.
 */
export function createMomentum({ rho, nesterov }: MomentumOptions): Optimizer<MomentumState> {
  return new Momentum(rho, nesterov);
}

/** Optimizers are classes: one `step` function for every run (see Optimizer). */
class Momentum implements Optimizer<MomentumState> {
  readonly name = 'momentum';

  constructor(
    private readonly rho: number,
    private readonly nesterov: boolean,
  ) {}

  init(dim: number): MomentumState {
    return { velocity: new Float64Array(dim) };
  }

  step(x: Float64Array, next: Float64Array, g: Float64Array, lr: number, state: MomentumState): number {
    const rho = this.rho;
    const v = state.velocity;
    const n = x.length;
    let poison = 0;
    if (this.nesterov) {
      for (let i = 0; i < n; i++) {
        const gradStep = lr * g[i];
        const vi = rho * v[i] - gradStep;
        v[i] = vi;
        const xi = x[i] + (rho * vi - gradStep);
        next[i] = xi;
        poison += xi * 0;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const vi = rho * v[i] - lr * g[i];
        v[i] = vi;
        const xi = x[i] + vi;
        next[i] = xi;
        poison += xi * 0;
      }
    }
    return poison;
  }
}
