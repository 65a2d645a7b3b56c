import type { Rng } from '../../random.ts';

/**
 * Seeded random orthogonal matrices for the rotated quadratic, never stored dense.
 *
 * - n <= HAAR_MAX_DIM: Haar-random Q (uniform on O(n)) by Stewart's algorithm (G. W. Stewart,
 *   "The efficient generation of random orthogonal matrices with an application to condition
 *   estimators", SIAM J. Numer. Anal. 17, 1980; scipy.stats.ortho_group draws the same way):
 *     Q = M₀ M₁ ⋯ Mₙ₋₁,  Mₖ = diag(Iₖ, −Dₖ (I − uₖuₖᵀ)),
 *   where zₖ ~ N(0, I) in ℝⁿ⁻ᵏ, Dₖ = sign(zₖ₀) (1 when 0), uₖ = √2 (zₖ + Dₖ‖zₖ‖e₀) / ‖zₖ + Dₖ‖zₖ‖e₀‖.
 *   Each Mₖ is symmetric and orthogonal. The n(n+1)/2 entries of the uₖ are drawn and stored
 *   packed: O(n²) time and memory to build (about 10 ms at n = 1000, where the Gram–Schmidt of a
 *   dense Gaussian matrix took about a second, O(n³)), and Qx costs Σₖ 2(n − k) ≈ n² operations,
 *   as a dense product would.
 * - Above that n² is out of reach (8 TB at n = 10⁶), so Q = H₈ ⋯ H₁, a product of
 *   HOUSEHOLDER_REFLECTIONS reflections Hₖ = I − 2vₖvₖᵀ with vₖ uniform on the unit sphere,
 *   each applied in O(n). Not Haar: Q − I has rank at most 8, so Q mixes coordinates only
 *   along those 8 random directions and leaves the rest of ℝⁿ axis-aligned.
 */

export const HAAR_MAX_DIM = 1000;
export const HOUSEHOLDER_REFLECTIONS = 8;

/** A Haar-random orthogonal Q as Stewart's reflections (see the top of this file). */
export interface HaarRotation {
  readonly dim: number;
  /** u₀, u₁, …, uₙ₋₁ one after another; uₖ has n − k entries and starts at {@link blockOffset}(n, k). */
  readonly vectors: Float64Array;
  /** Dₖ = ±1. */
  readonly signs: Float64Array;
}

/** Where uₖ starts in the packed vectors: Σⱼ₍ⱼ₌₀…ₖ₋₁₎ (n − j). */
function blockOffset(n: number, k: number): number {
  return k * n - (k * (k - 1)) / 2;
}

/** Draws Q by Stewart's algorithm: n(n+1)/2 normal deviates, block by block. */
export function haarRotation(n: number, rng: Rng): HaarRotation {
  const vectors = new Float64Array((n * (n + 1)) / 2);
  const signs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const offset = blockOffset(n, k);
    const length = n - k;
    let norm2 = 0;
    for (let i = 0; i < length; i++) {
      const z = rng.normal();
      vectors[offset + i] = z;
      norm2 += z * z;
    }
    const first = vectors[offset];
    const sign = first < 0 ? -1 : 1;
    const shifted = first + sign * Math.sqrt(norm2);
    vectors[offset] = shifted;
    // ‖z + D‖z‖e₀‖² = ‖z‖² − z₀² + (z₀ + D‖z‖)²; scaled so that ‖uₖ‖² = 2
    const scale = 1 / Math.sqrt((norm2 - first * first + shifted * shifted) / 2);
    for (let i = 0; i < length; i++) vectors[offset + i] *= scale;
    signs[k] = sign;
  }
  return { dim: n, vectors, signs };
}

/** v ← Mₖ v on the trailing n − k entries: t ← Dₖ((uₖᵀt) uₖ − t). */
function applyBlock(rotation: HaarRotation, k: number, v: Float64Array): void {
  const n = rotation.dim;
  const u = rotation.vectors;
  const offset = blockOffset(n, k) - k;
  // Four partial sums break the floating-point add chain; the loop is latency-bound otherwise.
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let i = k;
  for (; i + 3 < n; i += 4) {
    d0 += u[offset + i] * v[i];
    d1 += u[offset + i + 1] * v[i + 1];
    d2 += u[offset + i + 2] * v[i + 2];
    d3 += u[offset + i + 3] * v[i + 3];
  }
  for (; i < n; i++) d0 += u[offset + i] * v[i];
  const dot = d0 + d1 + (d2 + d3);
  const sign = rotation.signs[k];
  const scaled = sign * dot;
  for (i = k; i < n; i++) v[i] = scaled * u[offset + i] - sign * v[i];
}

/** v ← Q v = M₀(M₁(⋯ Mₙ₋₁ v)), in place. */
export function applyHaar(rotation: HaarRotation, v: Float64Array): void {
  for (let k = rotation.dim - 1; k >= 0; k--) applyBlock(rotation, k, v);
}

/** v ← Qᵀ v = Mₙ₋₁(⋯ M₁(M₀ v)), in place (each Mₖ is symmetric). */
export function applyHaarTranspose(rotation: HaarRotation, v: Float64Array): void {
  for (let k = 0; k < rotation.dim; k++) applyBlock(rotation, k, v);
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
