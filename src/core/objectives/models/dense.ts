/**
 * The dense kernels of the networks: one product shape, C += P·Qᵀ, serves the forward pass and
 * both products of the backward pass, because in that shape both operands are read along
 * contiguous rows (dot products of row a of P with row b of Q). Matrices are row-major
 * Float64Arrays addressed by an offset, so a layer's weights are read in place from the
 * parameter vector and no subarray views are made per call.
 */

/**
 * C[a][b] += Σₜ P[a][t]·Q[b][t] for a < m, b < n, t < k, i.e. C (m×n) += P (m×k) · Qᵀ, Q (n×k).
 *
 * Register-blocked 2 rows of P × 4 rows of Q: each step of the inner loop loads 6 numbers for 8
 * multiply-adds held in 8 independent accumulators (a plain dot product loads 2 per multiply-add
 * and waits on one accumulator). Scalar JavaScript has no SIMD, so this is about one multiply-add
 * per cycle, 2.5–3× the naive loop order. Edges (m odd, n not a multiple of 4) fall back to
 * narrower blocks.
 */
export function multiplyTransposedAdd(
  m: number,
  n: number,
  k: number,
  P: Float64Array,
  pOffset: number,
  Q: Float64Array,
  qOffset: number,
  C: Float64Array,
  cOffset: number,
): void {
  let a = 0;
  for (; a + 2 <= m; a += 2) {
    const p0 = pOffset + a * k;
    const p1 = p0 + k;
    const c0 = cOffset + a * n;
    const c1 = c0 + n;
    let b = 0;
    for (; b + 4 <= n; b += 4) {
      const q0 = qOffset + b * k;
      const q1 = q0 + k;
      const q2 = q1 + k;
      const q3 = q2 + k;
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s03 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s13 = 0;
      for (let t = 0; t < k; t++) {
        const x0 = P[p0 + t];
        const x1 = P[p1 + t];
        const y0 = Q[q0 + t];
        const y1 = Q[q1 + t];
        const y2 = Q[q2 + t];
        const y3 = Q[q3 + t];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      C[c0 + b] += s00;
      C[c0 + b + 1] += s01;
      C[c0 + b + 2] += s02;
      C[c0 + b + 3] += s03;
      C[c1 + b] += s10;
      C[c1 + b + 1] += s11;
      C[c1 + b + 2] += s12;
      C[c1 + b + 3] += s13;
    }
    for (; b < n; b++) {
      const q = qOffset + b * k;
      let s0 = 0;
      let s1 = 0;
      for (let t = 0; t < k; t++) {
        const y = Q[q + t];
        s0 += P[p0 + t] * y;
        s1 += P[p1 + t] * y;
      }
      C[c0 + b] += s0;
      C[c1 + b] += s1;
    }
  }
  if (a < m) {
    const p = pOffset + a * k;
    const c = cOffset + a * n;
    for (let b = 0; b < n; b++) {
      const q = qOffset + b * k;
      let s = 0;
      for (let t = 0; t < k; t++) s += P[p + t] * Q[q + t];
      C[c + b] += s;
    }
  }
}

/** out (cols×rows) = Aᵀ for A (rows×cols) at aOffset; out starts at 0. */
export function transpose(
  rows: number,
  cols: number,
  A: Float64Array,
  aOffset: number,
  out: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const row = aOffset + r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = A[row + c];
  }
}
