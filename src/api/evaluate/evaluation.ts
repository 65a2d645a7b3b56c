import { createObjective } from '../../core/objectives/index.ts';
import type { ObjectiveSpec } from '../../core/spec.ts';

/**
 * The computation of POST /v1/evaluate, the same on the event loop (small requests) and on an
 * evaluation thread (evaluate-pool.ts): f, ∇f and, when asked, the dense Hessian of a normalised
 * objective at x, with non-finite numbers as null (JSON has no NaN).
 */

export interface EvaluationTask {
  objective: ObjectiveSpec;
  seed: number;
  x: number[];
  hessian: boolean;
}

export interface Evaluation {
  f: number | null;
  gradient: (number | null)[];
  hessian?: (number | null)[][];
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

export function evaluateObjective(task: EvaluationTask): Evaluation {
  const objective = createObjective(task.objective, task.seed);
  const dim = task.x.length;
  const point = Float64Array.from(task.x);
  const gradient = new Float64Array(dim);
  const f = objective.valueAndGradient(point, gradient);
  const evaluation: Evaluation = { f: finiteOrNull(f), gradient: Array.from(gradient, finiteOrNull) };
  // Read `hessian` only when it is wanted: an expression objective builds it on that first read.
  const hessian = task.hessian ? objective.hessian : undefined;
  if (hessian) {
    const h = new Float64Array(dim * dim);
    hessian.call(objective, point, h);
    evaluation.hessian = Array.from({ length: dim }, (_, row) =>
      Array.from(h.subarray(row * dim, (row + 1) * dim), finiteOrNull),
    );
  }
  return evaluation;
}
