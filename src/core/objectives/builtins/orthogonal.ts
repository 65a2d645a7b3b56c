import type { Rng } from '../../random.ts';

/**
 * Seeded random orthogonal matrices for the rotated quadratic.
 *
 * - n <= DENSE_ORTHOGONAL_MAX_DIM: Haar-random Q (uniform on O(n)), the Q factor of a Gaussian
 *   matrix with the sign fix that makes R's diagonal positive. Gram–Schmidt on the rows of a
 *   Gaussian matrix G gives exactly that factor of Gᵀ (also Gaussian) with R's diagonal positive,
 *   so no separate sign fix is needed. Stored dense, row-major: O(n²) memory, O(n³) to build
 *   (about a second at n = 1000), O(n²) to apply.
 * - Above that a dense Q is out of reach (8 TB at n = 10⁶), so Q = H₈ ⋯ H₁, a product of
 *   HOUSEHOLDER_REFLECTIONS reflections Hₖ = I − 2vₖvₖᵀ with vₖ uniform on the unit sphere,
 *   each applied in O(n). Not Haar: Q − I has rank at most 8, so Q mixes coordinates only
 *   along those 8 random directions and leaves the rest of ℝⁿ axis-aligned.
 */

export const DENSE_ORTHOGONAL_MAX_DIM = 1000;
export const HOUSEHOLDER_REFLECTIONS = 8;

/** Block of rows orthogonalised together, so each finished row is read once per block (cache). */
const GRAM_SCHMIDT_BLOCK = 16;

/** Removes from row `target` its component along the unit row `basis` (both offsets into q). */
function subtractProjection(q: Float64Array, n: number, basis: number, target: number): void {
  // Four partial sums break the floating-point add chain; the loop is latency-bound otherwise.
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    d0 += q[basis + i] * q[target + i];
    d1 += q[basis + i + 1] * q[target + i + 1];
    d2 += q[basis + i + 2] * q[target + i + 2];
    d3 += q[basis + i + 3] * q[target + i + 3];
  }
  for (; i < n; i++) d0 += q[basis + i] * q[target + i];
  const d = d0 + d1 + (d2 + d3);
  for (i = 0; i < n; i++) q[target + i] -= d * q[basis + i];
}

/**
 * Haar-random orthogonal n×n matrix, row-major, by blocked modified Gram–Schmidt. Its loss of
 * orthogonality is about ε·cond(G); a Gaussian G has cond(G) ≈ n, so QQᵀ = I to ~1e-13 at n = 1000.
 */
export function haarOrthogonal(n: number, rng: Rng): Float64Array {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) q[i] = rng.normal();
  for (let start = 0; start < n; start += GRAM_SCHMIDT_BLOCK) {
    const end = Math.min(n, start + GRAM_SCHMIDT_BLOCK);
    // Each pending row meets the finished rows in the same order as plain MGS would.
    for (let j = 0; j < start; j++) {
      for (let k = start; k < end; k++) subtractProjection(q, n, j * n, k * n);
    }
    for (let k = start; k < end; k++) {
      const row = k * n;
      for (let j = start; j < k; j++) subtractProjection(q, n, j * n, row);
      let norm2 = 0;
      for (let i = 0; i < n; i++) norm2 += q[row + i] * q[row + i];
      const scale = 1 / Math.sqrt(norm2);
      for (let i = 0; i < n; i++) q[row + i] *= scale;
    }
  }
  return q;
}

/** `count` unit vectors uniform on the sphere in ℝⁿ, stored one after another. */
export function householderVectors(n: number, count: number, rng: Rng): Float64Array {
  const v = new Float64Array(count * n);
  for (let k = 0; k < count; k++) {
    const offset = k * n;
    let norm2 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      v[offset + i] = z;
      norm2 += z * z;
    }
    const scale = 1 / Math.sqrt(norm2);
    for (let i = 0; i < n; i++) v[offset + i] *= scale;
  }
  return v;
}

/**
 * out = H_last ⋯ H_first y, stepping through the reflections by `step` (+1 or −1). Each pass
 * applies one reflection and accumulates the next one's vᵀy, so k reflections cost k + 1 passes.
 */
function reflectAll(
  v: Float64Array,
  first: number,
  last: number,
  step: number,
  n: number,
  y: Float64Array,
  out: Float64Array,
): void {
  let offset = first * n;
  let d = 0;
  for (let i = 0; i < n; i++) d += v[offset + i] * y[i];
  let source = y;
  for (let k = first; k !== last; k += step) {
    const twoD = 2 * d;
    const next = offset + step * n;
    d = 0;
    for (let i = 0; i < n; i++) {
      const reflected = source[i] - twoD * v[offset + i];
      out[i] = reflected;
      d += v[next + i] * reflected;
    }
    source = out;
    offset = next;
  }
  const twoD = 2 * d;
  for (let i = 0; i < n; i++) out[i] = source[i] - twoD * v[offset + i];
}

/** out = Q x with Q = H_count ⋯ H₁ (H₁ applied first); out may be x. */
export function applyReflections(
  v: Float64Array,
  count: number,
  n: number,
  x: Float64Array,
  out: Float64Array,
): void {
  reflectAll(v, 0, count - 1, 1, n, x, out);
}

/** out = Qᵀ y = H₁ ⋯ H_count y (each Hₖ is symmetric); out may be y. */
export function applyReflectionsTranspose(
  v: Float64Array,
  count: number,
  n: number,
  y: Float64Array,
  out: Float64Array,
): void {
  reflectAll(v, count - 1, 0, -1, n, y, out);
}
