/**
 * Eigenvalues of a dense symmetric matrix, in steps that can be interleaved with budget checks:
 * Householder reduction to a tridiagonal T (one reflection per step), then any eigenvalue of T by
 * bisection on Sturm counts. Eigenvalues only: about (4/3)n³ operations for the reduction (0.5 s
 * at n = 1000 here, where ml-matrix's full decomposition with eigenvectors takes several
 * seconds), O(n) per bisection step. Reference: Golub & Van Loan, Matrix Computations, §8.3.1
 * (Householder tridiagonalisation) and §8.4.1 (Sturm sequence bisection).
 */

/** Householder tridiagonalisation of a symmetric matrix, one column per `step()`. */
export class Tridiagonalisation {
  /** Diagonal of T, filled as the reduction proceeds. */
  readonly diagonal: Float64Array;
  /** Off-diagonal of T (length n − 1). */
  readonly offDiagonal: Float64Array;
  private readonly v: Float64Array;
  private readonly w: Float64Array;
  private column = 0;

  /**
   * `matrix` is symmetric, row-major, n×n; its lower triangle is read and overwritten (the
   * caller's buffer is the workspace: no second n² copy).
   */
  constructor(
    private readonly matrix: Float64Array,
    private readonly n: number,
  ) {
    this.diagonal = new Float64Array(n);
    this.offDiagonal = new Float64Array(Math.max(0, n - 1));
    this.v = new Float64Array(n);
    this.w = new Float64Array(n);
  }

  get done(): boolean {
    return this.column >= this.n;
  }

  /**
   * Reduces column k: with x = A[k+1:, k], α = −sign(x₀)‖x‖, v = (x − αe₁)/‖x − αe₁‖ and
   * H = I − 2vvᵀ, the trailing block becomes H A₂₂ H = A₂₂ − 2vwᵀ − 2wvᵀ with p = A₂₂v,
   * w = p − (vᵀp)v. A column already zero below its subdiagonal (a tridiagonal or diagonal
   * Hessian) needs no reflection and costs O(n). Returns `done`.
   */
  step(): boolean {
    const { matrix: a, n, v, w } = this;
    const k = this.column;
    if (k >= n) return true;
    this.diagonal[k] = a[k * n + k];
    this.column = k + 1;
    if (k === n - 1) return true;
    const start = k + 1;
    const x0 = a[start * n + k];
    let below = 0;
    for (let i = start + 1; i < n; i++) below += a[i * n + k] * a[i * n + k];
    if (below === 0) {
      this.offDiagonal[k] = x0;
      return false;
    }
    const norm = Math.sqrt(below + x0 * x0);
    const alpha = x0 > 0 ? -norm : norm;
    this.offDiagonal[k] = alpha;
    v[start] = x0 - alpha;
    for (let i = start + 1; i < n; i++) v[i] = a[i * n + k];
    let vv = 0;
    for (let i = start; i < n; i++) vv += v[i] * v[i];
    const scale = 1 / Math.sqrt(vv);
    for (let i = start; i < n; i++) v[i] *= scale;
    // p = A₂₂ v from the lower triangle: row i contributes aᵢⱼvⱼ to pᵢ and aᵢⱼvᵢ to pⱼ (j < i).
    w.fill(0, start, n);
    for (let i = start; i < n; i++) {
      const row = i * n;
      const vi = v[i];
      let sum = 0;
      for (let j = start; j < i; j++) {
        const aij = a[row + j];
        sum += aij * v[j];
        w[j] += aij * vi;
      }
      w[i] += sum + a[row + i] * vi;
    }
    let vp = 0;
    for (let i = start; i < n; i++) vp += v[i] * w[i];
    for (let i = start; i < n; i++) w[i] -= vp * v[i];
    for (let i = start; i < n; i++) {
      const row = i * n;
      const vi = 2 * v[i];
      const wi = 2 * w[i];
      for (let j = start; j <= i; j++) a[row + j] -= vi * w[j] + wi * v[j];
    }
    return false;
  }
}

/**
 * Sturm count: how many eigenvalues of T = tridiag(e, d, e) lie below μ, the negative pivots of
 * the LDLᵀ factorisation of T − μI: q₁ = d₁ − μ, qᵢ = dᵢ − μ − eᵢ₋₁²/qᵢ₋₁ (a zero pivot is
 * nudged to −`tiny`, as LAPACK's dstebz does).
 */
export function eigenvaluesBelow(d: Float64Array, e: Float64Array, mu: number): number {
  const tiny = Number.MIN_VALUE;
  let count = 0;
  let q = 1;
  for (let i = 0; i < d.length; i++) {
    q = i === 0 ? d[0] - mu : d[i] - mu - (e[i - 1] * e[i - 1]) / q;
    if (q === 0) q = -tiny;
    if (q < 0) count++;
  }
  return count;
}

/**
 * The k-th smallest eigenvalue of T (k = 0 … n − 1), by bisection inside the Gershgorin interval
 * [min(dᵢ − |eᵢ₋₁| − |eᵢ|), max(dᵢ + |eᵢ₋₁| + |eᵢ|)] down to adjacent doubles.
 */
export function kthEigenvalue(d: Float64Array, e: Float64Array, k: number): number {
  const n = d.length;
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const radius = (i > 0 ? Math.abs(e[i - 1]) : 0) + (i < n - 1 ? Math.abs(e[i]) : 0);
    low = Math.min(low, d[i] - radius);
    high = Math.max(high, d[i] + radius);
  }
  for (;;) {
    const middle = 0.5 * (low + high);
    if (!(middle > low && middle < high)) return middle;
    if (eigenvaluesBelow(d, e, middle) > k) high = middle;
    else low = middle;
  }
}
