import type { ModelMetrics } from './objectives/models/data-objective.ts';
import type { PlainState, Schedule, TrajectoryPoint, ValidationSummary } from './types.ts';

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

/** What a run needs to fold a validation evaluation in: its plateau schedule and stop.patience (+∞ without). */
export interface ValidationRules {
  schedule: Schedule;
  scheduleState: PlainState;
  patience: number;
}

/**
 * One validation evaluation at a recorded point (run.ts's model semantics, shared by the CPU run
 * and the device run): `valF` and `valAccuracy` onto the point; the state (created on the
 * first evaluation) takes it as the best on a strictly lower loss (the caller then stores the
 * point's parameters: `improved`); unless `final`, a point without improvement counts towards
 * patience and the plateau schedule observes the loss. `exhausted`: patience is reached.
 */
export function foldValidation(
  state: ValidationState | null,
  metrics: ModelMetrics,
  point: TrajectoryPoint,
  f: number,
  final: boolean,
  dim: number,
  rules: ValidationRules,
): { state: ValidationState; improved: boolean; exhausted: boolean } {
  point.valF = metrics.loss;
  if (metrics.accuracy !== null) point.valAccuracy = metrics.accuracy;
  const first = state === null;
  const next: ValidationState = state ?? {
    badCount: 0,
    bestLoss: Number.POSITIVE_INFINITY,
    bestAccuracy: null,
    bestIteration: point.i,
    bestF: f,
    bestX: new Float64Array(dim),
    lastLoss: metrics.loss,
    lastAccuracy: metrics.accuracy,
  };
  next.lastLoss = metrics.loss;
  next.lastAccuracy = metrics.accuracy;
  const improved = metrics.loss < next.bestLoss || first;
  if (improved) {
    next.bestLoss = metrics.loss;
    next.bestAccuracy = metrics.accuracy;
    next.bestIteration = point.i;
    next.bestF = f;
    next.badCount = 0;
  } else if (!final) next.badCount++;
  if (final) return { state: next, improved, exhausted: false };
  rules.schedule.observe?.(metrics.loss, rules.scheduleState);
  return { state: next, improved, exhausted: next.badCount >= rules.patience };
}
