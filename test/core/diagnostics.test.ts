import { EigenvalueDecomposition, Matrix, QrDecomposition } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import {
  classify,
  computeDiagnostics,
  DENSE_EIGEN_MAX_DIM,
  DIAGNOSTICS_MAX_DIM,
} from '../../src/core/diagnostics.ts';
import { Rng } from '../../src/core/random.ts';
import { Run, runToCompletion } from '../../src/core/run.ts';
import type { Objective } from '../../src/core/types.ts';
import { spec, steppingClock } from './spec-helpers.ts';

/** f = ½ xᵀAx for a symmetric A (row-major): ∇²f = A everywhere. */
function quadraticForm(a: Float64Array, n: number): Objective {
  const valueAndGradient = (x: Float64Array, g: Float64Array): number => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      let ax = 0;
      for (let j = 0; j < n; j++) ax += a[i * n + j] * x[j];
      g[i] = ax;
      f += 0.5 * x[i] * ax;
    }
    return f;
  };
  return {
    dim: n,
    value: (x) => valueAndGradient(x, new Float64Array(n)),
    valueAndGradient,
    hessian: (_x, h) => h.set(a),
  };
}

/** A random symmetric matrix with the given eigenvalues: V diag(λ) Vᵀ, V the Q factor of a Gaussian matrix. */
function withEigenvalues(eigenvalues: number[], seed: number): Float64Array {
  const n = eigenvalues.length;
  const rng = Rng.fromSeed(seed);
  const gaussian = new Matrix(Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal())));
  const v = new QrDecomposition(gaussian).orthogonalMatrix;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += v.get(i, k) * eigenvalues[k] * v.get(j, k);
      a[i * n + j] = sum;
      a[j * n + i] = sum;
    }
  }
  return a;
}

/** The diagnostics' rules applied to ml-matrix's full eigendecomposition (the reference). */
function reference(a: Float64Array, n: number) {
  const rows = Array.from({ length: n }, (_, r) => Array.from(a.subarray(r * n, (r + 1) * n)));
  const eigenvalues = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true })
    .realEigenvalues;
  const magnitudes = eigenvalues.map(Math.abs);
  return {
    stationaryPoint: classify(eigenvalues),
    conditionNumber: Math.max(...magnitudes) / Math.min(...magnitudes),
  };
}

describe(`diagnostics above dimension ${DENSE_EIGEN_MAX_DIM} (Householder reduction and bisection)`, () => {
  const n = 140;
  const spread = (low: number, high: number) =>
    Array.from({ length: n }, (_, k) => low * (high / low) ** (k / (n - 1)));

  it.each([
    ['positive definite, κ = 1e4', spread(1, 1e4), 'minimum'],
    ['negative definite, κ = 50', spread(1, 50).map((value) => -value), 'maximum'],
    [
      'indefinite, eigenvalue nearest 0 inside the spectrum',
      [
        ...spread(0.5, 100).slice(0, 100),
        ...spread(0.3, 7)
          .slice(0, 40)
          .map((v) => -v),
      ],
      'saddle',
    ],
  ] as const)(
    '%s: the same stationary point and condition number as a full eigendecomposition',
    (_name, eigenvalues, kind) => {
      const a = withEigenvalues([...eigenvalues], 3);
      const objective = quadraticForm(a, n);
      const diagnostics = computeDiagnostics(objective, new Float64Array(n), 0, 1e-6);
      const expected = reference(a, n);
      expect(expected.stationaryPoint).toBe(kind);
      expect(diagnostics.stationaryPoint).toBe(kind);
      expect(diagnostics.conditionNumber! / expected.conditionNumber).toBeCloseTo(1, 9);
      const magnitudes = eigenvalues.map(Math.abs);
      expect(diagnostics.conditionNumber! / (Math.max(...magnitudes) / Math.min(...magnitudes))).toBeCloseTo(
        1,
        8,
      );
    },
  );

  it('a singular Hessian is degenerate, with no condition number', () => {
    const eigenvalues = spread(1, 10);
    eigenvalues[7] = 0;
    const a = withEigenvalues(eigenvalues, 4);
    const diagnostics = computeDiagnostics(quadraticForm(a, n), new Float64Array(n), 0, 1e-6);
    expect(diagnostics.stationaryPoint).toBe('degenerate');
    // rounding leaves |λ| ~ 1e-15 where λ = 0: a condition number of 1e15 or more, or none
    expect(diagnostics.conditionNumber === null || diagnostics.conditionNumber > 1e13).toBe(true);
  });

  it('a point that is not stationary gets a condition number but no classification', () => {
    const a = withEigenvalues(spread(2, 20), 5);
    const diagnostics = computeDiagnostics(quadraticForm(a, n), new Float64Array(n), 1, 1e-6);
    expect(diagnostics.stationaryPoint).toBeNull();
    expect(diagnostics.conditionNumber).toBeCloseTo(10, 8);
  });

  it(`none above dimension ${DIAGNOSTICS_MAX_DIM}`, () => {
    const { result } = runToCompletion(
      spec({
        objective: { type: 'builtin', name: 'sphere', dim: DIAGNOSTICS_MAX_DIM + 1 },
        optimizer: { name: 'sgd' },
        stop: { maxIterations: 1 },
      }),
    );
    expect(result.diagnostics).toEqual({ stationaryPoint: null, conditionNumber: null });
  });
});

describe('diagnostics count against the time budget and honour cancel', () => {
  it('a rotated quadratic at dim 1000 with maxSeconds 1 stops time_limit within one clock read of the budget, its diagnostics skipped', () => {
    const run = new Run(
      spec({
        objective: {
          type: 'builtin',
          name: 'quadratic',
          dim: 1000,
          params: { rotate: true, conditionNumber: 1000 },
        },
        optimizer: { name: 'adam' },
        stop: { maxIterations: 1e6, maxSeconds: 1, gradTol: 0 },
        record: { every: 1000, params: false },
      }),
      { clock: steppingClock(10) },
    );
    while (!run.advance()) {}
    const result = run.result();
    expect(result.stopReason).toBe('time_limit');
    expect(result.iterations).toBeGreaterThan(0);
    expect(result.diagnostics).toEqual({
      stationaryPoint: null,
      conditionNumber: null,
      skipped: 'time_limit',
    });
    expect(result.wallMs).toBeGreaterThanOrEqual(1000);
    expect(result.wallMs).toBeLessThanOrEqual(1030);
  });

  // ackley at dim 300 has a dense Hessian: its reduction takes ~300 units, one clock read each.
  const ackley = { type: 'builtin', name: 'ackley', dim: 300 } as const;

  it('diagnostics that would outlast maxSeconds are skipped; the stop reason stays max_iterations', () => {
    const { result } = runToCompletion(
      spec({ objective: ackley, optimizer: { name: 'sgd' }, stop: { maxIterations: 3, maxSeconds: 0.1 } }),
      { clock: steppingClock(1) },
    );
    expect(result.stopReason).toBe('max_iterations');
    expect(result.converged).toBe(false);
    expect(result.diagnostics).toEqual({
      stationaryPoint: null,
      conditionNumber: null,
      skipped: 'time_limit',
    });
    // the fake clock: the budget, and at most the unit in progress past it
    expect(result.wallMs).toBeGreaterThanOrEqual(100);
    expect(result.wallMs).toBeLessThanOrEqual(103);
  });

  it('within the budget the same run computes them (the condition number of the dense path)', () => {
    const input = spec({
      objective: ackley,
      optimizer: { name: 'sgd' },
      stop: { maxIterations: 3, maxSeconds: 10 },
    });
    const { result } = runToCompletion(input, { clock: steppingClock(1) });
    expect(result.diagnostics.skipped).toBeUndefined();
    const objective = new Run(input).objective;
    const h = new Float64Array(300 * 300);
    objective.hessian!(Float64Array.from(result.x!), h);
    expect(result.diagnostics.conditionNumber! / reference(h, 300).conditionNumber).toBeCloseTo(1, 9);
  });

  it('a cancel during the diagnostics skips them at the next unit', () => {
    const controller = new AbortController();
    let run: Run | null = null;
    let cancelledAt = -1;
    let reads = 0;
    const clock = () => {
      reads++;
      if (run?.phase === 'diagnosing' && cancelledAt < 0) {
        cancelledAt = reads;
        controller.abort();
      }
      return reads;
    };
    run = new Run(
      spec({ objective: ackley, optimizer: { name: 'sgd' }, stop: { maxIterations: 3, maxSeconds: 3600 } }),
      {
        clock,
        signal: controller.signal,
      },
    );
    while (!run.advance(20)) {}
    const result = run.result();
    expect(cancelledAt).toBeGreaterThan(0);
    expect(result.stopReason).toBe('max_iterations');
    expect(result.diagnostics).toEqual({
      stationaryPoint: null,
      conditionNumber: null,
      skipped: 'cancelled',
    });
    // the cancel was seen before the next unit: no more than a couple of reads later
    expect(reads - cancelledAt).toBeLessThanOrEqual(3);
  });

  it('a run checkpointed while diagnosing resumes into its diagnostics, which start over', () => {
    const input = spec({
      objective: ackley,
      optimizer: { name: 'sgd' },
      stop: { maxIterations: 3, maxSeconds: 3600 },
    });
    const reference = runToCompletion(input).result;
    const first = new Run(input, { clock: steppingClock(1) });
    first.advance(20);
    expect(first.phase).toBe('diagnosing');
    const checkpoint = JSON.parse(JSON.stringify(first.checkpoint()));
    const resumed = new Run(input, { checkpoint });
    expect(resumed.phase).toBe('diagnosing');
    while (!resumed.advance()) {}
    expect({ ...resumed.result(), wallMs: 0 }).toEqual({ ...reference, wallMs: 0 });
  });
});
