import type { ObjectiveSpec } from '../spec.ts';
import type { Objective } from '../types.ts';
import { createBuiltin } from './builtins/index.ts';
import { createExpressionObjective } from './expression/index.ts';

/** Builds the objective a normalised spec names; `seed` feeds seeded objectives (rotated quadratic). */
export function createObjective(spec: ObjectiveSpec, seed: number): Objective {
  switch (spec.type) {
    case 'builtin':
      return createBuiltin(spec.name, spec.dim, spec.params, seed);
    case 'expression':
      return createExpressionObjective(spec);
  }
}
