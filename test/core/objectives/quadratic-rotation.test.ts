import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { createBuiltin } from '../../../src/core/objectives/builtins/index.ts';
import {
  applyHaar,
  applyHaarTranspose,
  applyReflections,
  applyReflectionsTranspose,
  HAAR_MAX_DIM,
  haarRotation,
  householderVectors,
} from '../../../src/core/objectives/builtins/orthogonal.ts';
import { quadraticEigenvalues } from '../../../src/core/objectives/builtins/quadratic.ts';
import { Rng } from '../../../src/core/random.ts';
import type { Objective } from '../../../src/core/types.ts';

/** Largest |(AᵀA − I)ᵢⱼ| and |(AAᵀ − I)ᵢⱼ| of a row-major n×n matrix. */
function orthogonalityError(a: Float64Array, n: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let rows = 0;
      let columns = 0;
      for (let k = 0; k < n; k++) {
        rows += a[i * n + k] * a[j * n + k];
        columns += a[k * n + i] * a[k * n + j];
      }
      const identity = i === j ? 1 : 0;
      worst = Math.max(worst, Math.abs(rows - identity), Math.abs(columns - identity));
    }
  }
  return worst;
}

function randomPoint(n: number, seed: number): Float64Array {
  const rng = Rng.fromSeed(seed);
  return Float64Array.from({ length: n }, () => rng.normal());
}

function evaluate(objective: Objective, x: Float64Array): { f: number; g: Float64Array } {
  const g = new Float64Array(objective.dim);
  return { f: objective.valueAndGradient(x, g), g };
}

function hessianOf(objective: Objective): Float64Array {
  const h = new Float64Array(objective.dim * objective.dim);
  objective.hessian!(new Float64Array(objective.dim), h);
  return h;
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((total, ai, i) => total + ai * b[i], 0);

/** The dense row-major Q of a Haar draw of dimension n: column j is Q eⱼ. */
function haarOrthogonal(n: number, rng: Rng): Float64Array {
  const rotation = haarRotation(n, rng);
  const q = new Float64Array(n * n);
  const column = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    column.fill(0);
    column[j] = 1;
    applyHaar(rotation, column);
    for (let i = 0; i < n; i++) q[i * n + j] = column[i];
  }
  return q;
}

describe('random orthogonal matrices', () => {
  it('the Haar draw is orthogonal: QᵀQ = QQᵀ = I to 1e-10 (n = 5) and to 1e-12 (n = 300)', () => {
    for (let seed = 0; seed < 20; seed++)
      expect(orthogonalityError(haarOrthogonal(5, Rng.fromSeed(seed)), 5)).toBeLessThan(1e-10);
    expect(orthogonalityError(haarOrthogonal(300, Rng.fromSeed(7)), 300)).toBeLessThan(1e-12);
  });

  it('the Haar draw is stored as n(n+1)/2 reflection entries and its transpose inverts it', () => {
    const n = 50;
    const rotation = haarRotation(n, Rng.fromSeed(3));
    expect(rotation.vectors.length).toBe((n * (n + 1)) / 2);
    const x = randomPoint(n, 2);
    const back = Float64Array.from(x);
    applyHaar(rotation, back);
    expect(back).not.toEqual(x);
    applyHaarTranspose(rotation, back);
    for (let i = 0; i < n; i++) expect(back[i]).toBeCloseTo(x[i], 13);
  });

  it('the Haar draw looks uniform on O(3): E[Qᵢⱼ²] = 1/3 and both determinant signs occur', () => {
    const n = 3;
    const draws = 2000;
    const meanSquares = new Float64Array(n * n);
    let positive = 0;
    for (let seed = 0; seed < draws; seed++) {
      const q = haarOrthogonal(n, Rng.fromSeed(seed));
      for (let i = 0; i < n * n; i++) meanSquares[i] += (q[i] * q[i]) / draws;
      const det =
        q[0] * (q[4] * q[8] - q[5] * q[7]) -
        q[1] * (q[3] * q[8] - q[5] * q[6]) +
        q[2] * (q[3] * q[7] - q[4] * q[6]);
      expect(Math.abs(Math.abs(det) - 1)).toBeLessThan(1e-12);
      if (det > 0) positive++;
    }
    // Qᵢⱼ² ~ Beta(1/2, 1): standard deviation ≈ 0.30, so the mean of 2000 is within ±0.03 at 4σ.
    for (const meanSquare of meanSquares) expect(meanSquare).toBeCloseTo(1 / 3, 1);
    expect(positive / draws).toBeGreaterThan(0.45);
    expect(positive / draws).toBeLessThan(0.55);
  });

  it('the Householder product is orthogonal and its transpose inverts it', () => {
    for (const n of [7, 20]) {
      const count = 8;
      const v = householderVectors(n, count, Rng.fromSeed(n));
      const q = new Float64Array(n * n);
      const column = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        column.fill(0);
        column[j] = 1;
        applyReflections(v, count, n, column, column);
        for (let i = 0; i < n; i++) q[i * n + j] = column[i];
      }
      expect(orthogonalityError(q, n)).toBeLessThan(1e-12);
      const x = randomPoint(n, 1);
      const back = new Float64Array(n);
      applyReflections(v, count, n, x, back);
      applyReflectionsTranspose(v, count, n, back, back);
      for (let i = 0; i < n; i++) expect(back[i]).toBeCloseTo(x[i], 12);
    }
  });
});

describe('quadratic with rotate: true', () => {
  it('is the same function for the same seed and a different one for another seed', () => {
    const x = randomPoint(5, 3);
    const a = evaluate(createBuiltin('quadratic', 5, { rotate: true }, 11), x);
    const b = evaluate(createBuiltin('quadratic', 5, { rotate: true }, 11), x);
    const c = evaluate(createBuiltin('quadratic', 5, { rotate: true }, 12), x);
    expect(b).toEqual(a);
    expect(c.f).not.toBe(a.f);
    expect(Math.max(...a.g.map((gi, i) => Math.abs(gi - c.g[i])))).toBeGreaterThan(1e-3);
  });

  it('has Hessian Qᵀ diag(λ) Q: its eigenvalues are the λᵢ and ∇f = Hx', () => {
    for (const [n, kappa, seed] of [
      [5, 100, 1],
      [6, 1e4, 2],
      [40, 1e3, 3],
    ]) {
      const objective = createBuiltin('quadratic', n, { rotate: true, conditionNumber: kappa }, seed);
      const h = hessianOf(objective);
      const rows = Array.from({ length: n }, (_, i) => Array.from(h.subarray(i * n, (i + 1) * n)));
      const eigenvalues = new EigenvalueDecomposition(new Matrix(rows), {
        assumeSymmetric: true,
      }).realEigenvalues.sort((a, b) => a - b);
      const lambda = quadraticEigenvalues(n, kappa);
      for (let i = 0; i < n; i++) expect(Math.abs(eigenvalues[i] - lambda[i])).toBeLessThan(1e-10 * kappa);
      // Not the diagonal Hessian of the unrotated quadratic.
      expect(Math.abs(h[1])).toBeGreaterThan(1e-6);
      const x = randomPoint(n, seed);
      const { f, g } = evaluate(objective, x);
      for (let i = 0; i < n; i++) {
        let hx = 0;
        for (let j = 0; j < n; j++) hx += h[i * n + j] * x[j];
        expect(Math.abs(g[i] - hx)).toBeLessThan(1e-10 * kappa * Math.max(1, Math.abs(hx)));
      }
      expect(dot(x, g)).toBeCloseTo(2 * f, 8);
    }
  });

  it('reduces to ½x² in one dimension, whatever the seed', () => {
    for (const seed of [0, 1, 2]) {
      const { f, g } = evaluate(
        createBuiltin('quadratic', 1, { rotate: true, conditionNumber: 50 }, seed),
        Float64Array.of(3),
      );
      expect(f).toBeCloseTo(4.5, 14);
      expect(g[0]).toBeCloseTo(3, 14);
    }
  });

  it('reports the λᵢ as its Hessian spectrum, rotated (Haar and Householder) or not', () => {
    for (const [n, rotate] of [
      [30, true],
      [30, false],
      [1001, true],
    ] as const) {
      const objective = createBuiltin('quadratic', n, { rotate, conditionNumber: 100 }, 4);
      expect([...objective.hessianSpectrum!(new Float64Array(n))]).toEqual([...quadraticEigenvalues(n, 100)]);
    }
  });

  it(`above n = ${HAAR_MAX_DIM} (Householder product) keeps the spectrum: trace Σλ, ‖H‖²_F = Σλ², and ∇f = Hx`, () => {
    const n = 1200;
    const kappa = 100;
    const objective = createBuiltin('quadratic', n, { rotate: true, conditionNumber: kappa }, 5);
    const h = hessianOf(objective);
    const lambda = quadraticEigenvalues(n, kappa);
    let trace = 0;
    let frobenius2 = 0;
    let offDiagonal = 0;
    let asymmetric = 0;
    for (let i = 0; i < n; i++) {
      trace += h[i * n + i];
      for (let j = 0; j < n; j++) {
        frobenius2 += h[i * n + j] ** 2;
        if (i !== j) offDiagonal = Math.max(offDiagonal, Math.abs(h[i * n + j]));
        if (h[i * n + j] !== h[j * n + i]) asymmetric++;
      }
    }
    expect(asymmetric).toBe(0);
    const lambdaSum = lambda.reduce((total, l) => total + l, 0);
    const lambdaSquares = lambda.reduce((total, l) => total + l * l, 0);
    expect(Math.abs(trace - lambdaSum) / lambdaSum).toBeLessThan(1e-12);
    expect(Math.abs(frobenius2 - lambdaSquares) / lambdaSquares).toBeLessThan(1e-12);
    expect(offDiagonal).toBeGreaterThan(1e-3);
    const x = randomPoint(n, 9);
    const { f, g } = evaluate(objective, x);
    expect(objective.value(x)).toBe(f);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      let hx = 0;
      for (let j = 0; j < n; j++) hx += h[i * n + j] * x[j];
      worst = Math.max(worst, Math.abs(g[i] - hx));
    }
    expect(worst).toBeLessThan(1e-9 * kappa);
  });

  it('works at n = 200,000: deterministic, xᵀ∇f = 2f, and the Rayleigh quotient inside [1, κ]', () => {
    const n = 200_000;
    const kappa = 1000;
    const objective = createBuiltin('quadratic', n, { rotate: true, conditionNumber: kappa }, 21);
    const x = randomPoint(n, 4);
    const g = new Float64Array(n);
    let f = 0;
    for (let call = 0; call < 10; call++) f = objective.valueAndGradient(x, g);
    expect(objective.value(x)).toBe(f);
    expect(Math.abs(dot(x, g) - 2 * f) / f).toBeLessThan(1e-10);
    const rayleigh = (2 * f) / dot(x, x);
    expect(rayleigh).toBeGreaterThan(1);
    expect(rayleigh).toBeLessThan(kappa);
    const again = evaluate(createBuiltin('quadratic', n, { rotate: true, conditionNumber: kappa }, 21), x);
    expect(again.f).toBe(f);
    const unrotated = createBuiltin('quadratic', n, { conditionNumber: kappa }, 21).value(x);
    expect(unrotated).not.toBe(f);
  });
});
