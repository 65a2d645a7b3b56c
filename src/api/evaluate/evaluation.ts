import { createObjective } from '../../core/objectives/index.ts';
import type { ObjectiveSpec } from '../../core/spec.ts';

/**
 * The computation of POST /v1/evaluate, the same on the event loop (small requests) and on an
 * evaluation thread (pool.ts): f, ∇f and, when asked, the dense Hessian of a normalised
 * objective at x, or f over a grid (always on a thread), with non-finite numbers as null (JSON
 * has no NaN).
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

/** `[lo, hi, n]`: n samples from lo to hi, both included. */
export type GridAxis = [lo: number, hi: number, count: number];

export interface GridEvaluationTask {
  /** A normalised 2-D objective. */
  objective: ObjectiveSpec;
  seed: number;
  x: GridAxis;
  y: GridAxis;
}

export interface GridEvaluation {
  f: (number | null)[];
}

/** The k-th of n samples from lo to hi: lo + k·(hi − lo)/(n − 1), exactly hi at k = n − 1. */
export function gridSample([lo, hi, count]: GridAxis, k: number): number {
  return k === count - 1 ? hi : lo + (k * (hi - lo)) / (count - 1);
}

/** f[j·nx + i] = f(xᵢ, yⱼ): row-major, x fastest (src/schemas/evaluate.ts). */
export function evaluateGrid(task: GridEvaluationTask): GridEvaluation {
  const objective = createObjective(task.objective, task.seed);
  const nx = task.x[2];
  const ny = task.y[2];
  const f = new Array<number | null>(nx * ny);
  const point = new Float64Array(2);
  for (let j = 0; j < ny; j++) {
    point[1] = gridSample(task.y, j);
    for (let i = 0; i < nx; i++) {
      point[0] = gridSample(task.x, i);
      f[j * nx + i] = finiteOrNull(objective.value(point));
    }
  }
  return { f };
}
