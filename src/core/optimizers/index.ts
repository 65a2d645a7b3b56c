/**
 * The optimizer factory: a normalised, validated spec (src/schemas/optimizer.ts) in, an
 * {@link Optimizer} out. `clipNorm` is not the optimizer's business: the run loop clips g with
 * {@link clipGradient} before calling `step`.
 */
import type { OptimizerSpec } from '../spec.ts';
import type { Optimizer } from '../types.ts';
import { createAdagrad } from './adagrad.ts';
import { createAdam } from './adam.ts';
import { createAdamw } from './adamw.ts';
import { createLbfgs } from './lbfgs.ts';
import { createMomentum } from './momentum.ts';
import { createNewton } from './newton.ts';
import { createRmsprop } from './rmsprop.ts';
import { createSgd } from './sgd.ts';

export { type AdagradState, createAdagrad } from './adagrad.ts';
export { type AdamState, createAdam } from './adam.ts';
export { type AdamwState, createAdamw } from './adamw.ts';
export { clipGradient } from './clip.ts';
export { createLbfgs, type LbfgsState } from './lbfgs.ts';
export { backtrackingArmijo, type LineSearchResult, strongWolfe } from './line-search.ts';
export { createMomentum, type MomentumState } from './momentum.ts';
export { createNewton, type NewtonState } from './newton.ts';
export { createRmsprop, type RmspropState } from './rmsprop.ts';
export { createSgd, type SgdState } from './sgd.ts';
export { createStepContext } from './step-context.ts';

/** Builds the optimizer a spec names, its hyperparameters fixed at creation. */
export function createOptimizer(spec: OptimizerSpec): Optimizer {
  switch (spec.name) {
    case 'sgd':
      return createSgd();
    case 'momentum':
      return createMomentum(spec);
    case 'adagrad':
      return createAdagrad(spec);
    case 'rmsprop':
      return createRmsprop(spec);
    case 'adam':
      return createAdam(spec);
    case 'adamw':
      return createAdamw(spec);
    case 'newton':
      return createNewton(spec);
    case 'lbfgs':
      return createLbfgs(spec);
  }
}
