import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { eigenvaluesBelow, kthEigenvalue, Tridiagonalisation } from './tridiagonal.ts';
import type { Diagnostics, Objective, StationaryPoint } from './types.ts';

/**
 * The seed's problems 1 and 2 made visible, from the eigenvalues λ of the Hessian at the final x:
 * - conditionNumber κ(H) = max|λ| / min|λ| (null when H is singular or unavailable);
 * - stationaryPoint, only when ‖g‖ <= `stationaryTol`: every λ > τ → minimum, every λ < −τ →
 *   maximum, λs of both signs beyond τ → saddle, otherwise (some |λ| <= τ) degenerate, with
 *   τ = 1e-8 · max(1, max|λ|).
 *
 * How, by dimension (each exact to rounding; the work is bounded and comes in units):
 * - an objective that knows its Hessian's spectrum (`hessianSpectrum`, the quadratic): read;
 * - dim <= DENSE_EIGEN_MAX_DIM: the dense Hessian, then ml-matrix's symmetric eigendecomposition
 *   (about 8 ms at dim 100; 65 ms at 200 and 250 ms at 300, as it also forms eigenvectors);
 * - up to DIAGNOSTICS_MAX_DIM: the dense Hessian, reduced to tridiagonal form one Householder
 *   reflection per unit (tridiagonal.ts; a column already tridiagonal costs O(dim)), then only
 *   the eigenvalues the two numbers need, by Sturm bisection: λ_min, λ_max, the two around 0,
 *   and the counts beyond ±τ. About 0.5 s for a dense Hessian at dim 1000, where ml-matrix
 *   took several seconds without a way to stop;
 * - above DIAGNOSTICS_MAX_DIM, without a Hessian, or with a non-finite one: null.
 *
 * Lanczos (extreme eigenvalues from Hessian-vector products) was tried and measured first: on the
 * rotated quadratic at dim 1000, whose eigenvalues crowd log-uniformly at both ends, 300 steps
 * (1.5 s) left κ = 10 at 9.99999999999 but κ = 10⁶ at 3.9·10⁵, and at Rosenbrock's minimum
 * (dim 1000) λ_max still had a residual of 0.15. Both numbers need the ends of the spectrum, and
 * a condition number also the eigenvalue nearest 0, which for an indefinite H lies inside it;
 * the reduction gets every one of them exactly, in bounded time.
 *
 * The run loop (Run.advance) checks its time budget and cancellation between units: diagnostics
 * that would run past `maxSeconds`, or that are cancelled, are skipped and say so (`skipped`).
 * Evaluations made here are not counted in `Result.evaluations` (no part of the optimisation).
 */

/** Diagnostics are computed only up to this dimension. */
export const DIAGNOSTICS_MAX_DIM = 1000;
/** Up to this dimension the whole spectrum is computed at once (a few ms, one unit). */
export const DENSE_EIGEN_MAX_DIM = 100;

const NO_DIAGNOSTICS: Diagnostics = Object.freeze({ stationaryPoint: null, conditionNumber: null });

/** Diagnostics computed step by step; `step()` does one unit of work and returns true when done. */
export interface DiagnosticsTask {
  step(): boolean;
  /** The diagnostics, once `step()` has returned true. */
  result(): Diagnostics;
}

/**
 * Starts the diagnostics of the point x (‖g‖ = gradNorm there). Returns the diagnostics directly
 * when there is nothing to compute (no Hessian, dimension over DIAGNOSTICS_MAX_DIM) or the
 * spectrum is known.
 */
export function startDiagnostics(
  objective: Objective,
  x: Float64Array,
  gradNorm: number,
  stationaryTol: number,
): DiagnosticsTask | Diagnostics {
  const dim = objective.dim;
  if (dim > DIAGNOSTICS_MAX_DIM) return NO_DIAGNOSTICS;
  const stationary = gradNorm <= stationaryTol;
  if (objective.hessianSpectrum) {
    const spectrum = objective.hessianSpectrum(x);
    return allFinite(spectrum) ? fromEigenvalues(spectrum, stationary) : NO_DIAGNOSTICS;
  }
  if (!objective.hessian) return NO_DIAGNOSTICS;
  return new HessianDiagnostics(objective, x, stationary);
}

/** Runs the diagnostics of x to the end, in one go (no budget). */
export function computeDiagnostics(
  objective: Objective,
  x: Float64Array,
  gradNorm: number,
  stationaryTol: number,
): Diagnostics {
  const task = startDiagnostics(objective, x, gradNorm, stationaryTol);
  if (!('step' in task)) return task;
  while (!task.step()) {
    /* each step is one bounded unit of work */
  }
  return task.result();
}

/** The diagnostics from every eigenvalue of H. */
function fromEigenvalues(eigenvalues: ArrayLike<number>, stationary: boolean): Diagnostics {
  return {
    stationaryPoint: stationary ? classify(eigenvalues) : null,
    conditionNumber: conditionNumber(eigenvalues),
  };
}

/**
 * The diagnostics from T = tridiag(e, d, e), similar to H: the same rules as classify and
 * conditionNumber, from the few eigenvalues they depend on.
 */
function fromTridiagonal(d: Float64Array, e: Float64Array, stationary: boolean): Diagnostics {
  const n = d.length;
  const largest = Math.max(Math.abs(kthEigenvalue(d, e, 0)), Math.abs(kthEigenvalue(d, e, n - 1)));
  let stationaryPoint: StationaryPoint | null = null;
  if (stationary) {
    const tolerance = 1e-8 * Math.max(1, largest);
    const negative = eigenvaluesBelow(d, e, -tolerance);
    const positive = n - eigenvaluesBelow(d, e, tolerance);
    stationaryPoint =
      positive > 0 && negative > 0
        ? 'saddle'
        : positive === n
          ? 'minimum'
          : negative === n
            ? 'maximum'
            : 'degenerate';
  }
  // min|λ|: the largest negative eigenvalue or the smallest non-negative one.
  const belowZero = eigenvaluesBelow(d, e, 0);
  let smallest = Number.POSITIVE_INFINITY;
  if (belowZero > 0) smallest = Math.abs(kthEigenvalue(d, e, belowZero - 1));
  if (belowZero < n) smallest = Math.min(smallest, Math.abs(kthEigenvalue(d, e, belowZero)));
  const ratio = largest / smallest;
  return { stationaryPoint, conditionNumber: smallest === 0 || !Number.isFinite(ratio) ? null : ratio };
}

function allFinite(values: ArrayLike<number>): boolean {
  for (let k = 0; k < values.length; k++) if (!Number.isFinite(values[k])) return false;
  return true;
}

/**
 * Units: the dense Hessian; then either one ml-matrix eigendecomposition (dim <=
 * DENSE_EIGEN_MAX_DIM) or one Householder reflection each, and the bisections last.
 */
class HessianDiagnostics implements DiagnosticsTask {
  private hessian: Float64Array | null = null;
  private reduction: Tridiagonalisation | null = null;
  private diagnostics: Diagnostics = NO_DIAGNOSTICS;

  constructor(
    private readonly objective: Objective,
    private readonly x: Float64Array,
    private readonly stationary: boolean,
  ) {}

  step(): boolean {
    const dim = this.objective.dim;
    if (this.hessian === null) {
      this.hessian = new Float64Array(dim * dim);
      this.objective.hessian!(this.x, this.hessian);
      return !allFinite(this.hessian);
    }
    if (dim <= DENSE_EIGEN_MAX_DIM) {
      const flat = this.hessian;
      const rows: number[][] = [];
      for (let r = 0; r < dim; r++) rows.push(Array.from(flat.subarray(r * dim, (r + 1) * dim)));
      const eigenvalues = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true })
        .realEigenvalues;
      this.diagnostics = fromEigenvalues(eigenvalues, this.stationary);
      return true;
    }
    this.reduction ??= new Tridiagonalisation(this.hessian, dim);
    if (!this.reduction.done) {
      this.reduction.step();
      return false;
    }
    this.diagnostics = fromTridiagonal(this.reduction.diagonal, this.reduction.offDiagonal, this.stationary);
    return true;
  }

  result(): Diagnostics {
    return this.diagnostics;
  }
}

export function classify(eigenvalues: ArrayLike<number>): StationaryPoint {
  let largest = 0;
  for (let k = 0; k < eigenvalues.length; k++) largest = Math.max(largest, Math.abs(eigenvalues[k]));
  const tolerance = 1e-8 * Math.max(1, largest);
  let positive = 0;
  let negative = 0;
  for (let k = 0; k < eigenvalues.length; k++) {
    if (eigenvalues[k] > tolerance) positive++;
    else if (eigenvalues[k] < -tolerance) negative++;
  }
  if (positive > 0 && negative > 0) return 'saddle';
  if (positive === eigenvalues.length) return 'minimum';
  if (negative === eigenvalues.length) return 'maximum';
  return 'degenerate';
}

function conditionNumber(eigenvalues: ArrayLike<number>): number | null {
  let largest = 0;
  let smallest = Number.POSITIVE_INFINITY;
  for (let k = 0; k < eigenvalues.length; k++) {
    const magnitude = Math.abs(eigenvalues[k]);
    largest = Math.max(largest, magnitude);
    smallest = Math.min(smallest, magnitude);
  }
  if (smallest === 0 || !Number.isFinite(largest / smallest)) return null;
  return largest / smallest;
}
