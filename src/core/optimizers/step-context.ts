import type { Objective, StepContext } from '../types.ts';

/** A step context with every field present: what the run loop passes (see StepContext). */
export type FullStepContext = Required<StepContext>;

/** A fresh full {@link StepContext} for steps on `objective` (f unknown, nothing handed back yet). */
export function createStepContext(objective: Objective): FullStepContext {
  return {
    objective,
    f: Number.NaN,
    nextGradient: new Float64Array(objective.dim),
    nextF: Number.NaN,
    evaluated: false,
    lineSearchFailed: false,
  };
}
