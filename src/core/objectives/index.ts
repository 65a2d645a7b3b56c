import type { Dataset } from '../data/dataset.ts';
import type { ObjectiveSpec } from '../spec.ts';
import type { Objective } from '../types.ts';
import { createBuiltin } from './builtins/index.ts';
import { createExpressionObjective } from './expression/index.ts';
import { createModelObjective } from './models/index.ts';

/**
 * Builds the objective a normalised spec names; `seed` feeds seeded objectives (rotated
 * quadratic, a model's split, batches and start). A model needs its data set, resolved by the
 * caller (the core does no I/O): without it, or when it does not give the spec's `dim`, this
 * throws (a programming error: normalisation checked the pair).
 */
export function createObjective(spec: ObjectiveSpec, seed: number, dataset?: Dataset): Objective {
  switch (spec.type) {
    case 'builtin':
      return createBuiltin(spec.name, spec.dim, spec.params, seed);
    case 'expression':
      return createExpressionObjective(spec);
    case 'model': {
      if (dataset === undefined) throw new Error('a model objective needs its data set');
      const objective = createModelObjective(spec, dataset, seed);
      if (objective.dim !== spec.dim) {
        throw new Error(
          `the data set gives the model ${objective.dim} parameters; the spec says ${spec.dim}`,
        );
      }
      return objective;
    }
  }
}
