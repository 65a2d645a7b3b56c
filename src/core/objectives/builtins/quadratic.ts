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
  applyHaar,
  applyHaarTranspose,
  applyReflections,
  applyReflectionsTranspose,
  HAAR_MAX_DIM,
  type HaarRotation,
  HOUSEHOLDER_REFLECTIONS,
  haarRotation,
  householderVectors,
} from './orthogonal.ts';

/**
 * Ill-conditioned quadratic: f(x) = ½ Σᵢ λᵢ xᵢ², λᵢ = κ^(i/(n−1)) for i = 0…n−1 (λ₀ = 1 when
 * n = 1), so the eigenvalues are log-uniform in [1, κ]; ∇f = Λx, ∇²f = Λ. Minimum 0 at 0.
 *
 * With `rotate`: f(x) = ½ (Qx)ᵀ Λ (Qx), ∇f = Qᵀ Λ Q x, ∇²f = Qᵀ Λ Q, with Q a random orthogonal
 * matrix drawn from the seed: Haar-random for n <= 1000 (Stewart's product of reflections, built
 * in O(n²)), a product of 8 random Householder reflections above (see orthogonal.ts for why and
 * what that means). ∇²f's eigenvalues are the λᵢ in every form (`hessianSpectrum`).
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

  /** ∇²f = Λ: its eigenvalues are the λᵢ. */
  hessianSpectrum(): Float64Array {
    return this.lambda;
  }

  hessian(_x: Float64Array, h: Float64Array): void {
    const n = this.dim;
    zeroFill(h, n);
    for (let i = 0; i < n; i++) h[i * n + i] = this.lambda[i];
  }
}

/**
 * Rotated quadratic with a Haar-random Q held as Stewart's reflections (orthogonal.ts): y = Qx,
 * f = ½ Σ λᵢyᵢ², ∇f = Qᵀ(λ ∘ y), each product about n² operations.
 */
class HaarRotatedQuadratic implements Objective {
  private readonly scratch: Float64Array;
  private hessianCache: Float64Array | null = null;

  constructor(
    readonly dim: number,
    private readonly lambda: Float64Array,
    private readonly rotation: HaarRotation,
  ) {
    this.scratch = new Float64Array(dim);
  }

  value(x: Float64Array): number {
    const y = this.scratch;
    y.set(x);
    applyHaar(this.rotation, y);
    return halfWeightedSquares(this.lambda, y);
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    const n = this.dim;
    const lambda = this.lambda;
    g.set(x.subarray(0, n));
    applyHaar(this.rotation, g);
    let f = 0;
    for (let i = 0; i < n; i++) {
      const yi = g[i];
      const wi = lambda[i] * yi;
      f += wi * yi;
      g[i] = wi;
    }
    applyHaarTranspose(this.rotation, g);
    return 0.5 * f;
  }

  /** ∇²f = Qᵀ Λ Q with Q orthogonal: its eigenvalues are the λᵢ. */
  hessianSpectrum(): Float64Array {
    return this.lambda;
  }

  /** ∇²f v = Qᵀ Λ Q v, about 2n² operations. */
  hessianTimes(v: Float64Array, out: Float64Array): void {
    out.set(v.subarray(0, this.dim));
    applyHaar(this.rotation, out);
    for (let i = 0; i < this.dim; i++) out[i] *= this.lambda[i];
    applyHaarTranspose(this.rotation, out);
  }

  /** Column j of Qᵀ Λ Q is Qᵀ Λ Q eⱼ (O(n³) once, then copied: it is constant); see {@link denseFromProducts}. */
  hessian(_x: Float64Array, h: Float64Array): void {
    this.hessianCache ??= denseFromProducts(this);
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
    const y = this.scratch;
    applyReflections(this.reflections, this.count, this.dim, x, y);
    return halfWeightedSquares(this.lambda, y);
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

  /** ∇²f = Qᵀ Λ Q with Q orthogonal: its eigenvalues are the λᵢ. */
  hessianSpectrum(): Float64Array {
    return this.lambda;
  }

  /** ∇²f v = Qᵀ Λ Q v, O(n) per reflection. */
  hessianTimes(v: Float64Array, out: Float64Array): void {
    const n = this.dim;
    applyReflections(this.reflections, this.count, n, v, out);
    for (let i = 0; i < n; i++) out[i] *= this.lambda[i];
    applyReflectionsTranspose(this.reflections, this.count, n, out, out);
  }

  /** Qᵀ Λ Q column by column (O(n²) once, then copied: it is constant); see {@link denseFromProducts}. */
  hessian(_x: Float64Array, h: Float64Array): void {
    this.hessianCache ??= denseFromProducts(this);
    h.set(this.hessianCache);
  }
}

/**
 * The dense Hessian from Hessian-vector products: column j is ∇²f eⱼ, stored as row j; the
 * upper triangle is then mirrored so the result is exactly symmetric.
 */
function denseFromProducts(objective: {
  dim: number;
  hessianTimes(v: Float64Array, out: Float64Array): void;
}): Float64Array {
  const n = objective.dim;
  const dense = new Float64Array(n * n);
  const unit = new Float64Array(n);
  const column = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    unit[j] = 1;
    objective.hessianTimes(unit, column);
    unit[j] = 0;
    dense.set(column, j * n);
  }
  mirrorUpperTriangle(dense, n);
  return dense;
}

/** ½ Σ λᵢyᵢ². */
function halfWeightedSquares(lambda: Float64Array, y: Float64Array): number {
  let f = 0;
  for (let i = 0; i < lambda.length; i++) {
    const yi = y[i];
    f += lambda[i] * yi * yi;
  }
  return 0.5 * f;
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
    if (dim <= HAAR_MAX_DIM) return new HaarRotatedQuadratic(dim, lambda, haarRotation(dim, rng));
    const reflections = householderVectors(dim, HOUSEHOLDER_REFLECTIONS, rng);
    return new ReflectedQuadratic(dim, lambda, reflections, HOUSEHOLDER_REFLECTIONS);
  },
};
