import type { ValidationSummary } from './types.ts';

/**
 * What a model run with validation rows keeps of its validation evaluations (run.ts): plain data,
 * checkpointed with the run (RunCheckpoint's `data.validation`).
 */
export interface ValidationState {
  /** Validation evaluations in a row without a strictly lower loss (stop.patience). */
  badCount: number;
  bestLoss: number;
  bestAccuracy: number | null;
  bestIteration: number;
  /** f at the best point (its batch's loss). */
  bestF: number;
  bestX: Float64Array;
  /** The latest evaluation's metrics: the final point's once the run has stopped. */
  lastLoss: number;
  lastAccuracy: number | null;
}

/** Result.validation from the state: the best point's metrics and the final point's. */
export function validationSummary(state: ValidationState): ValidationSummary {
  return {
    loss: state.bestLoss,
    accuracy: state.bestAccuracy,
    bestIteration: state.bestIteration,
    finalLoss: state.lastLoss,
    finalAccuracy: state.lastAccuracy,
  };
}
