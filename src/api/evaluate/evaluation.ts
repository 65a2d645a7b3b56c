import { createObjective } from '../../core/objectives/index.ts';
import { isDataObjective } from '../../core/objectives/models/data-objective.ts';
import type { ObjectiveSpec } from '../../core/spec.ts';
import type { Objective } from '../../core/types.ts';
import { modelDataFor } from '../../data/resolve.ts';
import type { TabularDataset } from '../../data/tabular.ts';

/**
 * The computation of POST /v1/evaluate, the same on the event loop (small requests) and on an
 * evaluation thread (pool.ts): f, ∇f and, when asked, the dense Hessian of a normalised
 * objective at x, or f over a grid (always on a thread), with non-finite numbers as null (JSON
 * has no NaN).
 *
 * A model objective is evaluated on its whole training split (its batchSize does not apply: f is
 * the training loss with the l2 term, the objective a full-batch run minimises), and the answer
 * adds the validation loss and accuracy at x. Its data comes with the task when it is stored
 * (`dataset`, read by the route) and is made here otherwise (a built-in from the seed). The grid
 * form takes builtin and expression objectives only (the route refuses a model).
 */

export interface EvaluationTask {
  objective: ObjectiveSpec;
  seed: number;
  x: number[];
  hessian: boolean;
  /** A model's stored or inline rows. */
  dataset?: TabularDataset;
}

export interface Evaluation {
  f: number | null;
  gradient: (number | null)[];
  hessian?: (number | null)[][];
  /** Model objectives with validation rows: the validation loss (without l2) and accuracy at x. */
  validation?: { loss: number | null; accuracy: number | null };
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** The objective of a task: a model on its full training split, with its data. */
function taskObjective(task: EvaluationTask): Objective {
  const spec = task.objective;
  if (spec.type !== 'model') return createObjective(spec, task.seed);
  const fullBatch = { ...spec, batchSize: null };
  return createObjective(fullBatch, task.seed, modelDataFor(fullBatch, task.seed, task.dataset));
}

export function evaluateObjective(task: EvaluationTask): Evaluation {
  const objective = taskObjective(task);
  const dim = task.x.length;
  const point = Float64Array.from(task.x);
  const gradient = new Float64Array(dim);
  const f = objective.valueAndGradient(point, gradient);
  const evaluation: Evaluation = { f: finiteOrNull(f), gradient: Array.from(gradient, finiteOrNull) };
  const validation = isDataObjective(objective) ? objective.validation(point) : null;
  if (validation !== null) {
    evaluation.validation = { loss: finiteOrNull(validation.loss), accuracy: validation.accuracy };
  }
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
