import { EigenvalueDecomposition, LuDecomposition, Matrix } from 'ml-matrix';
import type { Optimizer, StepContext } from '../types.ts';
import { backtrackingArmijo, moveAlong, stayAt } from './line-search.ts';

/** Newton keeps no state: everything is recomputed from H(θ) and g each step. */
export type NewtonState = null;

export type NewtonHessianMode = 'exact' | 'damped' | 'saddle_free';

export interface NewtonOptions {
  hessian: NewtonHessianMode;
  damping: number;
  lineSearch: 'none' | 'backtracking';
}

/**
 * Newton's method: the direction d solves B d = −g, then θ ← θ + α d.
 *   exact:        B = H = ∇²f(θ)
 *   damped:       B = H + λI                      (λ = damping)
 *   saddle_free:  B = |H| = V |Λ| Vᵀ, H = V Λ Vᵀ  (|λᵢ| floored at damping, so B stays invertible)
 * Step length: lineSearch "none" takes α = lr; "backtracking" starts at α = lr and halves until
 * Armijo's f(θ + α d) ≤ f(θ) + 1e-4 α gᵀd holds. After 40 failed halvings the step sets
 * `lineSearchFailed` and θ stays: the run ends `line_search_failed`. The search evaluates each
 * trial with its gradient into `next` and `context.nextGradient`, and the accepted one is handed
 * to the run loop already evaluated (`context.evaluated`), so an iteration whose full step is
 * accepted costs one evaluation.
 *
 * Fallbacks, so a step always has a direction:
 * - exact H singular (an LU pivot ≤ n·ε·max pivot) or the solve is not finite → damped H + λI;
 * - damped matrix singular too (e.g. damping 0) → steepest descent d = −g;
 * - saddle_free with damping 0 floors |λᵢ| at n·ε·max|λ|; H = 0 → d = −g;
 * - H with a non-finite entry → d = −g.
 * When d is not a descent direction (gᵀd ≥ 0, possible for exact and damped H at an indefinite
 * point) backtracking cannot apply, and the full step α = lr is taken: that is Newton's method as
 * defined, which is attracted to saddle points — exact Newton from (1, 1e-6) on x² − y² lands on
 * the saddle (0, 0), while saddle_free (a descent direction whenever g ≠ 0) escapes it.
 */
export function createNewton(options: NewtonOptions): Optimizer<NewtonState> {
  return new Newton(options);
}

/** Optimizers are classes: one `step` function for every run (see Optimizer). */
class Newton implements Optimizer<NewtonState> {
  readonly name = 'newton';
  // Scratch, sized on the first step (a run has one dimension).
  private dim = -1;
  private hessian = new Float64Array(0);
  private direction = new Float64Array(0);
  /** Trial gradients when the caller gives no `context.nextGradient`. */
  private trialGradient = new Float64Array(0);

  constructor(private readonly options: NewtonOptions) {}

  init(): NewtonState {
    return null;
  }

  step(
    x: Float64Array,
    next: Float64Array,
    g: Float64Array,
    lr: number,
    _state: NewtonState,
    _t: number,
    context: StepContext,
  ): number {
    const { hessian: mode, damping, lineSearch } = this.options;
    const dim = x.length;
    if (dim !== this.dim) {
      this.dim = dim;
      this.hessian = new Float64Array(dim * dim);
      this.direction = new Float64Array(dim);
      this.trialGradient = new Float64Array(dim);
    }
    const objective = context.objective;
    if (!objective.hessian) {
      throw new Error('newton needs an objective with a Hessian');
    }
    const direction = this.direction;
    objective.hessian(x, this.hessian);
    newtonDirection(mode, damping, this.hessian, g, direction);

    let slope = 0;
    for (let i = 0; i < dim; i++) slope += g[i] * direction[i];
    if (lineSearch === 'none' || !(slope < 0)) return moveAlong(next, x, direction, lr);
    const search = backtrackingArmijo(
      objective,
      x,
      context.f,
      slope,
      direction,
      lr,
      next,
      context.nextGradient ?? this.trialGradient,
    );
    if (search.step === 0) {
      context.lineSearchFailed = true;
      return stayAt(next, x);
    }
    if (context.nextGradient !== undefined) {
      context.evaluated = true;
      context.nextF = search.f;
    }
    return search.poison;
  }
}

/** Writes into `direction` the solution d of B d = −g for the mode's B (see createNewton). */
export function newtonDirection(
  mode: NewtonHessianMode,
  damping: number,
  hessian: Float64Array,
  g: Float64Array,
  direction: Float64Array,
): void {
  const dim = g.length;
  const solved =
    allFinite(hessian) &&
    (mode === 'saddle_free'
      ? saddleFreeDirection(hessian, g, damping, direction)
      : (mode === 'exact' && solveShifted(hessian, g, 0, direction)) ||
        solveShifted(hessian, g, damping, direction));
  if (!solved) {
    for (let i = 0; i < dim; i++) direction[i] = -g[i];
  }
}

function allFinite(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

/** Solves (H + shift·I) d = −g by LU with partial pivoting; false when (numerically) singular. */
function solveShifted(
  hessian: Float64Array,
  g: Float64Array,
  shift: number,
  direction: Float64Array,
): boolean {
  const dim = g.length;
  const matrix = Matrix.from1DArray(dim, dim, hessian);
  if (shift !== 0) for (let i = 0; i < dim; i++) matrix.set(i, i, matrix.get(i, i) + shift);
  const lu = new LuDecomposition(matrix);
  const upper = lu.upperTriangularMatrix;
  let maxPivot = 0;
  let minPivot = Number.POSITIVE_INFINITY;
  for (let i = 0; i < dim; i++) {
    const pivot = Math.abs(upper.get(i, i));
    if (pivot > maxPivot) maxPivot = pivot;
    if (pivot < minPivot) minPivot = pivot;
  }
  if (!(minPivot > dim * Number.EPSILON * maxPivot)) return false;
  const rhs = new Matrix(dim, 1);
  for (let i = 0; i < dim; i++) rhs.set(i, 0, -g[i]);
  const solution = lu.solve(rhs);
  for (let i = 0; i < dim; i++) {
    const di = solution.get(i, 0);
    if (!Number.isFinite(di)) return false;
    direction[i] = di;
  }
  return true;
}

/** d = −V diag(1/max(|λᵢ|, floor)) Vᵀ g with H = V Λ Vᵀ (H symmetrised first). */
function saddleFreeDirection(
  hessian: Float64Array,
  g: Float64Array,
  damping: number,
  direction: Float64Array,
): boolean {
  const dim = g.length;
  const symmetric = new Matrix(dim, dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) {
      symmetric.set(i, j, 0.5 * (hessian[i * dim + j] + hessian[j * dim + i]));
    }
  }
  const eigen = new EigenvalueDecomposition(symmetric, { assumeSymmetric: true });
  const eigenvalues = eigen.realEigenvalues;
  const vectors = eigen.eigenvectorMatrix;
  let largest = 0;
  for (const value of eigenvalues) largest = Math.max(largest, Math.abs(value));
  const floor = damping > 0 ? damping : dim * Number.EPSILON * largest;
  if (!(floor > 0)) return false;
  direction.fill(0);
  for (let k = 0; k < dim; k++) {
    // coefficient of g along eigenvector k, divided by the floored |λₖ|
    let projection = 0;
    for (let i = 0; i < dim; i++) projection += vectors.get(i, k) * g[i];
    const coefficient = -projection / Math.max(Math.abs(eigenvalues[k]), floor);
    for (let i = 0; i < dim; i++) direction[i] += coefficient * vectors.get(i, k);
  }
  return allFinite(direction);
}
