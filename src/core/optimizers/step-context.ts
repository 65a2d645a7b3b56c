import type { Objective, StepContext } from '../types.ts';

/** A fresh {@link StepContext} for steps on `objective` (f unknown, nothing handed back yet). */
export function createStepContext(objective: Objective): StepContext {
  return {
    objective,
    f: Number.NaN,
    nextGradient: new Float64Array(objective.dim),
    nextF: Number.NaN,
    evaluated: false,
    lineSearchFailed: false,
  };
}
