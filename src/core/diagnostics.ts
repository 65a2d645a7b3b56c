import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { Diagnostics, Objective, StationaryPoint } from './types.ts';

/** Diagnostics are computed from a dense Hessian only up to this dimension (O(dim³) eigen solve). */
export const DIAGNOSTICS_MAX_DIM = 1000;

/**
 * The seed's problems 1 and 2 made visible, from the eigenvalues λ of the Hessian at the final x:
 * - conditionNumber κ(H) = max|λ| / min|λ| (null when H is singular or unavailable);
 * - stationaryPoint, only when ‖g‖ <= `stationaryTol`: every λ > τ → minimum, every λ < −τ →
 *   maximum, λs of both signs beyond τ → saddle, otherwise (some |λ| <= τ) degenerate, with
 *   τ = 1e-8 · max(1, max|λ|).
 */
export function computeDiagnostics(
  objective: Objective,
  x: Float64Array,
  gradNorm: number,
  stationaryTol: number,
): Diagnostics {
  const dim = objective.dim;
  if (!objective.hessian || dim > DIAGNOSTICS_MAX_DIM)
    return { stationaryPoint: null, conditionNumber: null };
  const flat = new Float64Array(dim * dim);
  objective.hessian(x, flat);
  for (let k = 0; k < flat.length; k++) {
    if (!Number.isFinite(flat[k])) return { stationaryPoint: null, conditionNumber: null };
  }
  const rows: number[][] = [];
  for (let r = 0; r < dim; r++) rows.push(Array.from(flat.subarray(r * dim, (r + 1) * dim)));
  const eigenvalues = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true })
    .realEigenvalues;
  return {
    stationaryPoint: gradNorm <= stationaryTol ? classify(eigenvalues) : null,
    conditionNumber: conditionNumber(eigenvalues),
  };
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
