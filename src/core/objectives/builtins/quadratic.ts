import { Rng } from '../../random.ts';
import type { Objective } from '../../types.ts';
import {
  assertDim,
  type BuiltinDefinition,
  type BuiltinParams,
  repeated,
  scratch,
  zeroFill,
} from './definition.ts';
import {
  applyReflections,
  applyReflectionsTranspose,
  DENSE_ORTHOGONAL_MAX_DIM,
  HOUSEHOLDER_REFLECTIONS,
  haarOrthogonal,
  householderVectors,
} from './orthogonal.ts';

/**
 * Ill-conditioned quadratic: f(x) = ½ Σᵢ λᵢ xᵢ², λᵢ = κ^(i/(n−1)) for i = 0…n−1 (λ₀ = 1 when
 * n = 1), so the eigenvalues are log-uniform in [1, κ]; ∇f = Λx, ∇²f = Λ. Minimum 0 at 0.
 *
 * With `rotate`: f(x) = ½ (Qx)ᵀ Λ (Qx), ∇f = Qᵀ Λ Q x, ∇²f = Qᵀ Λ Q, with Q a random orthogonal
 * matrix drawn from the seed: Haar-random for n <= 1000, a product of 8 random Householder
 * reflections above (see orthogonal.ts for why and what that means).
 */

/** Stream tag mixed into the seed, so Q is independent of the other seeded draws of a run. */
const ROTATION_STREAM = 0x726f7461;

/** λᵢ = κ^(i/(n−1)), λ₀ = 1 when n = 1. */
export function quadraticEigenvalues(dim: number, conditionNumber: number): Float64Array {
  const lambda = new Float64Array(dim);
  if (dim === 1) {
    lambda[0] = 1;
    return lambda;
  }
  for (let i = 0; i < dim; i++) lambda[i] = conditionNumber ** (i / (dim - 1));
  return lambda;
}

/** Copies the upper triangle of the row-major n×n matrix `m` onto its lower triangle. */
function mirrorUpperTriangle(m: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) m[j * n + i] = m[i * n + j];
  }
}

class DiagonalQuadratic implements Objective {
  constructor(
    readonly dim: number,
    private readonly lambda: Float64Array,
  ) {}

  value(x: Float64Array): number {
    const n = this.dim;
    const lambda = this.lambda;
    let f = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      f += lambda[i] * xi * xi;
    }
    return 0.5 * f;
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    return this.valueGradientAndNormSquared(x, g, scratch);
  }

  valueGradientAndNormSquared(x: Float64Array, g: Float64Array, normSquared: Float64Array): number {
    const n = this.dim;
    const lambda = this.lambda;
    let f = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      const gi = lambda[i] * xi;
      g[i] = gi;
      f += gi * xi;
      sum += gi * gi;
    }
    normSquared[0] = sum;
    return 0.5 * f;
  }

  hessian(_x: Float64Array, h: Float64Array): void {
    const n = this.dim;
    zeroFill(h, n);
    for (let i = 0; i < n; i++) h[i * n + i] = this.lambda[i];
  }
}

/** Rotated quadratic with a dense Q (row-major): y = Qx row by row, g += λₖyₖ·(row k) fused. */
class DenseRotatedQuadratic implements Objective {
  private hessianCache: Float64Array | null = null;

  constructor(
    readonly dim: number,
    private readonly lambda: Float64Array,
    /** Q, row-major. */
    readonly rotation: Float64Array,
  ) {}

  value(x: Float64Array): number {
    const n = this.dim;
    const lambda = this.lambda;
    const q = this.rotation;
    let f = 0;
    for (let k = 0; k < n; k++) {
      const row = k * n;
      let y = 0;
      for (let j = 0; j < n; j++) y += q[row + j] * x[j];
      f += lambda[k] * y * y;
    }
    return 0.5 * f;
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    const n = this.dim;
    const lambda = this.lambda;
    const q = this.rotation;
    g.fill(0, 0, n);
    let f = 0;
    for (let k = 0; k < n; k++) {
      const row = k * n;
      let y = 0;
      for (let j = 0; j < n; j++) y += q[row + j] * x[j];
      const w = lambda[k] * y;
      f += w * y;
      for (let j = 0; j < n; j++) g[j] += w * q[row + j];
    }
    return 0.5 * f;
  }

  /**
   * Qᵀ Λ Q = Σₖ λₖ qₖ qₖᵀ over the rows qₖ of Q: the upper triangle, mirrored so the result is
   * exactly symmetric. O(n³) once, then copied (it is constant).
   */
  hessian(_x: Float64Array, h: Float64Array): void {
    const n = this.dim;
    if (this.hessianCache === null) {
      const q = this.rotation;
      const cache = new Float64Array(n * n);
      for (let k = 0; k < n; k++) {
        const row = k * n;
        for (let i = 0; i < n; i++) {
          const c = this.lambda[k] * q[row + i];
          const out = i * n;
          for (let j = i; j < n; j++) cache[out + j] += c * q[row + j];
        }
      }
      mirrorUpperTriangle(cache, n);
      this.hessianCache = cache;
    }
    h.set(this.hessianCache);
  }
}

/** Rotated quadratic with Q a product of Householder reflections, O(n) memory and time per call. */
class ReflectedQuadratic implements Objective {
  private readonly scratch: Float64Array;
  private hessianCache: Float64Array | null = null;

  constructor(
    readonly dim: number,
    private readonly lambda: Float64Array,
    /** The unit vectors of the reflections, one after another. */
    private readonly reflections: Float64Array,
    private readonly count: number,
  ) {
    this.scratch = new Float64Array(dim);
  }

  value(x: Float64Array): number {
    const n = this.dim;
    const lambda = this.lambda;
    const y = this.scratch;
    applyReflections(this.reflections, this.count, n, x, y);
    let f = 0;
    for (let i = 0; i < n; i++) {
      const yi = y[i];
      f += lambda[i] * yi * yi;
    }
    return 0.5 * f;
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    const n = this.dim;
    const lambda = this.lambda;
    const y = this.scratch;
    applyReflections(this.reflections, this.count, n, x, y);
    let f = 0;
    for (let i = 0; i < n; i++) {
      const yi = y[i];
      const wi = lambda[i] * yi;
      f += wi * yi;
      y[i] = wi;
    }
    applyReflectionsTranspose(this.reflections, this.count, n, y, g);
    return 0.5 * f;
  }

  /**
   * Column j of Qᵀ Λ Q is Qᵀ Λ Q eⱼ; stored as row j, then the upper triangle is mirrored so the
   * result is exactly symmetric. O(n²) once, then copied (it is constant).
   */
  hessian(_x: Float64Array, h: Float64Array): void {
    const n = this.dim;
    if (this.hessianCache === null) {
      const cache = new Float64Array(n * n);
      const column = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        column.fill(0);
        column[j] = 1;
        applyReflections(this.reflections, this.count, n, column, column);
        for (let i = 0; i < n; i++) column[i] *= this.lambda[i];
        applyReflectionsTranspose(this.reflections, this.count, n, column, column);
        cache.set(column, j * n);
      }
      mirrorUpperTriangle(cache, n);
      this.hessianCache = cache;
    }
    h.set(this.hessianCache);
  }
}

export const quadratic: BuiltinDefinition = {
  name: 'quadratic',
  title: 'Ill-conditioned quadratic',
  latex: 'f(x) = \\tfrac{1}{2} \\sum_{i=0}^{n-1} \\lambda_i x_i^2,\\quad \\lambda_i = \\kappa^{i/(n-1)}',
  anyDim: true,
  minDim: 1,
  defaultDim: 2,
  params: {
    conditionNumber: {
      default: 10,
      min: 1,
      description: 'κ, the ratio of the largest to the smallest eigenvalue of the Hessian',
    },
    rotate: {
      default: false,
      description: 'rotate the eigenbasis by a random orthogonal matrix drawn from the seed',
    },
  },
  defaultStart: (dim) => repeated(dim, [1]),
  minimizers: (dim) => [new Array<number>(dim).fill(0)],
  minimum: () => 0,
  box: { x: [-2, 2], y: [-2, 2] },
  create(dim: number, params: BuiltinParams, seed: number): Objective {
    assertDim('quadratic', dim, 1, true);
    const lambda = quadraticEigenvalues(dim, params.conditionNumber as number);
    if (params.rotate !== true) return new DiagonalQuadratic(dim, lambda);
    const rng = Rng.fromSeed(seed ^ ROTATION_STREAM);
    if (dim <= DENSE_ORTHOGONAL_MAX_DIM)
      return new DenseRotatedQuadratic(dim, lambda, haarOrthogonal(dim, rng));
    const reflections = householderVectors(dim, HOUSEHOLDER_REFLECTIONS, rng);
    return new ReflectedQuadratic(dim, lambda, reflections, HOUSEHOLDER_REFLECTIONS);
  },
};
