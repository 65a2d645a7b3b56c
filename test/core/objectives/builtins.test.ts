import fc from 'fast-check';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_NAMES,
  type BuiltinName,
  type BuiltinParams,
  builtins,
  catalogEntry,
  createBuiltin,
  fillBuiltinParams,
} from '../../../src/core/objectives/builtins/index.ts';
import { quadraticEigenvalues } from '../../../src/core/objectives/builtins/quadratic.ts';
import type { Objective } from '../../../src/core/types.ts';

/**
 * Reference formulas written straight from API.md's table, independent of the fused kernels:
 * they check that each builtin computes the documented function, not just a self-consistent one.
 */
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const references: Record<BuiltinName, (x: number[], p: BuiltinParams) => number> = {
  sphere: (x) => sum(x.map((xi) => xi ** 2)),
  quadratic: (x, p) =>
    0.5 *
    sum(
      x.map(
        (xi, i) => (x.length === 1 ? 1 : (p.conditionNumber as number) ** (i / (x.length - 1))) * xi ** 2,
      ),
    ),
  rosenbrock: (x, p) =>
    sum(
      x
        .slice(0, -1)
        .map((xi, i) => (p.b as number) * (x[i + 1] - xi ** 2) ** 2 + ((p.a as number) - xi) ** 2),
    ),
  beale: ([x, y]) => (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2,
  booth: ([x, y]) => (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
  himmelblau: ([x, y]) => (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2,
  goldstein_price: ([x, y]) =>
    (1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2)) *
    (30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y + 27 * y ** 2)),
  rastrigin: (x, p) =>
    (p.A as number) * x.length + sum(x.map((xi) => xi ** 2 - (p.A as number) * Math.cos(2 * Math.PI * xi))),
  ackley: (x, p) => {
    const [a, b, c] = [p.a as number, p.b as number, p.c as number];
    const n = x.length;
    return (
      -a * Math.exp(-b * Math.sqrt(sum(x.map((xi) => xi ** 2)) / n)) -
      Math.exp(sum(x.map((xi) => Math.cos(c * xi))) / n) +
      a +
      Math.E
    );
  },
  styblinski_tang: (x) => 0.5 * sum(x.map((xi) => xi ** 4 - 16 * xi ** 2 + 5 * xi)),
  saddle: ([x, y]) => x ** 2 - y ** 2,
  monkey_saddle: ([x, y]) => x ** 3 - 3 * x * y ** 2,
};

const ANY_DIM: BuiltinName[] = [
  'sphere',
  'quadratic',
  'rosenbrock',
  'rastrigin',
  'ackley',
  'styblinski_tang',
];

const real = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

/** Random params inside each function's valid range (the defaults for parameterless ones). */
const paramArbitraries: Record<BuiltinName, fc.Arbitrary<BuiltinParams>> = {
  sphere: fc.constant({}),
  quadratic: fc.record({ conditionNumber: real(1, 1e4), rotate: fc.boolean() }),
  rosenbrock: fc.record({ a: real(-2, 2), b: real(0, 200) }),
  beale: fc.constant({}),
  booth: fc.constant({}),
  himmelblau: fc.constant({}),
  goldstein_price: fc.constant({}),
  rastrigin: fc.record({ A: real(0, 20) }),
  ackley: fc.record({ a: real(0, 30), b: real(0.05, 1), c: real(0.5, 10) }),
  styblinski_tang: fc.constant({}),
  saddle: fc.constant({}),
  monkey_saddle: fc.constant({}),
};

interface Case {
  dim: number;
  params: BuiltinParams;
  seed: number;
  x: number[];
}

/** dim (1..6 for any-dim functions, from minDim), params, seed and a point in the plotting box. */
function caseArbitrary(name: BuiltinName): fc.Arbitrary<Case> {
  const definition = builtins[name];
  const dims = definition.anyDim ? fc.integer({ min: definition.minDim, max: 6 }) : fc.constant(2);
  return dims.chain((dim) =>
    fc.record({
      dim: fc.constant(dim),
      params: paramArbitraries[name],
      seed: fc.integer(),
      x: fc.tuple(
        ...Array.from({ length: dim }, (_, i) => {
          const [low, high] = i === 1 ? definition.box.y : definition.box.x;
          return real(low, high);
        }),
      ),
    }),
  );
}

function evaluate(objective: Objective, x: Float64Array): { f: number; g: Float64Array } {
  const g = new Float64Array(objective.dim);
  const f = objective.valueAndGradient(x, g);
  return { f, g };
}

function hessianOf(objective: Objective, x: Float64Array): Float64Array {
  const h = new Float64Array(objective.dim * objective.dim).fill(Number.NaN);
  objective.hessian!(x, h);
  return h;
}

const maxAbs = (values: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
};

/** Central-difference step for coordinate i: small against both 1 and |xᵢ|. */
const stepAt = (xi: number) => 1e-6 * Math.max(1, Math.abs(xi));

function finiteDifferenceGradient(objective: Objective, x: Float64Array): Float64Array {
  const g = new Float64Array(x.length);
  const probe = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const h = stepAt(x[i]);
    probe[i] = x[i] + h;
    const up = objective.value(probe);
    probe[i] = x[i] - h;
    const down = objective.value(probe);
    probe[i] = x[i];
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/** Column j of the result approximates ∂g/∂xⱼ by central differences of the analytic gradient. */
function finiteDifferenceHessian(objective: Objective, x: Float64Array): Float64Array {
  const n = x.length;
  const h = new Float64Array(n * n);
  const probe = Float64Array.from(x);
  for (let j = 0; j < n; j++) {
    const step = stepAt(x[j]);
    probe[j] = x[j] + step;
    const up = evaluate(objective, probe).g;
    probe[j] = x[j] - step;
    const down = evaluate(objective, probe).g;
    probe[j] = x[j];
    for (let i = 0; i < n; i++) h[i * n + j] = (up[i] - down[i]) / (2 * step);
  }
  return h;
}

function sortedEigenvalues(h: Float64Array, n: number): number[] {
  const rows = Array.from({ length: n }, (_, i) => Array.from(h.subarray(i * n, (i + 1) * n)));
  return new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true }).realEigenvalues.sort(
    (a, b) => a - b,
  );
}

describe('builtin objectives: analytic derivatives (property tests)', () => {
  for (const name of BUILTIN_NAMES) {
    describe(name, () => {
      it('value() equals the value valueAndGradient() returns, and both match the documented formula', () => {
        fc.assert(
          fc.property(caseArbitrary(name), ({ dim, params, seed, x }) => {
            const objective = createBuiltin(name, dim, params, seed);
            const point = Float64Array.from(x);
            const { f, g } = evaluate(objective, point);
            expect(objective.value(point)).toBe(f);
            expect(g.every(Number.isFinite)).toBe(true);
            if (!(name === 'quadratic' && params.rotate === true)) {
              const reference = references[name](x, fillBuiltinParams(name, params));
              expect(Math.abs(f - reference)).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(reference)));
            }
          }),
          { numRuns: 200 },
        );
      });

      it('the one-pass valueGradientAndNormSquared, where offered, gives the same f and g bit for bit and Σ gᵢ²', () => {
        fc.assert(
          fc.property(caseArbitrary(name), ({ dim, params, seed, x }) => {
            const objective = createBuiltin(name, dim, params, seed);
            if (!objective.valueGradientAndNormSquared) return;
            const point = Float64Array.from(x);
            const { f, g } = evaluate(objective, point);
            const fusedG = new Float64Array(dim).fill(Number.NaN);
            const normSquared = new Float64Array(1);
            expect(Object.is(objective.valueGradientAndNormSquared(point, fusedG, normSquared), f)).toBe(
              true,
            );
            expect([...fusedG]).toEqual([...g]);
            expect(normSquared[0]).toBe(g.reduce((total, gi) => total + gi * gi, 0));
          }),
          { numRuns: 100 },
        );
      });

      it('the gradient matches central finite differences of f', () => {
        fc.assert(
          fc.property(caseArbitrary(name), ({ dim, params, seed, x }) => {
            // Ackley's cone term is not differentiable at 0: keep the difference steps well away.
            if (name === 'ackley') fc.pre(Math.hypot(...x) > 1e-2);
            const objective = createBuiltin(name, dim, params, seed);
            const point = Float64Array.from(x);
            const { f, g } = evaluate(objective, point);
            const numeric = finiteDifferenceGradient(objective, point);
            // Rounding in f(x ± h) costs about ε|f|/h; truncation is O(h²).
            const tolerance = 1e-6 * Math.max(1, maxAbs(g)) + 1e-9 * Math.abs(f);
            for (let i = 0; i < dim; i++) expect(Math.abs(g[i] - numeric[i])).toBeLessThanOrEqual(tolerance);
          }),
          { numRuns: 200 },
        );
      });

      it('the Hessian is symmetric and matches central differences of the analytic gradient', () => {
        fc.assert(
          fc.property(caseArbitrary(name), ({ dim, params, seed, x }) => {
            if (name === 'ackley') fc.pre(Math.hypot(...x) > 1e-2);
            const objective = createBuiltin(name, dim, params, seed);
            const point = Float64Array.from(x);
            const h = hessianOf(objective, point);
            const numeric = finiteDifferenceHessian(objective, point);
            const { g } = evaluate(objective, point);
            const tolerance = 1e-6 * Math.max(1, maxAbs(h)) + 1e-9 * maxAbs(g);
            for (let i = 0; i < dim; i++) {
              for (let j = 0; j < dim; j++) {
                expect(h[i * dim + j]).toBe(h[j * dim + i]);
                expect(Math.abs(h[i * dim + j] - numeric[i * dim + j])).toBeLessThanOrEqual(tolerance);
              }
            }
          }),
          { numRuns: 200 },
        );
      });
    });
  }
});

describe('builtin objectives: known minima', () => {
  const checkedDims = (name: BuiltinName) => (builtins[name].anyDim ? [builtins[name].minDim, 2, 5] : [2]);

  for (const name of BUILTIN_NAMES) {
    it(`${name}: every listed minimiser attains the listed minimum with zero gradient and a positive definite Hessian`, () => {
      for (const dim of checkedDims(name)) {
        const params = fillBuiltinParams(name, undefined);
        const minimizers = builtins[name].minimizers(dim, params);
        const minimum = builtins[name].minimum(dim, params);
        if (name === 'saddle' || name === 'monkey_saddle') {
          expect(minimizers).toBeNull();
          expect(minimum).toBeNull();
          continue;
        }
        expect(minimizers).not.toBeNull();
        expect(minimum).not.toBeNull();
        const objective = createBuiltin(name, dim, params, 1);
        for (const minimizer of minimizers!) {
          expect(minimizer).toHaveLength(dim);
          const point = Float64Array.from(minimizer);
          const { f, g } = evaluate(objective, point);
          expect(Math.abs(f - minimum!)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(minimum!)));
          expect(maxAbs(g)).toBeLessThanOrEqual(1e-9);
          expect(sortedEigenvalues(hessianOf(objective, point), dim)[0]).toBeGreaterThan(0);
        }
      }
    });
  }

  it('goldstein_price(0, −1) is exactly 3', () => {
    const objective = createBuiltin('goldstein_price', 2, {}, 0);
    expect(objective.value(Float64Array.of(0, -1))).toBe(3);
    expect(evaluate(objective, Float64Array.of(0, -1)).g).toEqual(Float64Array.of(0, 0));
  });

  it('himmelblau lists all four minima, each a zero of f', () => {
    const minimizers = builtins.himmelblau.minimizers(2, {})!;
    expect(minimizers).toHaveLength(4);
    const objective = createBuiltin('himmelblau', 2, {}, 0);
    const expected = [
      [3, 2],
      [-2.805118, 3.131312],
      [-3.77931, -3.283186],
      [3.584428, -1.848126],
    ];
    for (const [x, y] of expected) {
      const match = minimizers.find(([mx, my]) => Math.abs(mx - x) < 1e-6 && Math.abs(my - y) < 1e-6);
      expect(match).toBeDefined();
      expect(objective.value(Float64Array.from(match!))).toBeLessThan(1e-20);
    }
    expect(objective.value(Float64Array.of(3, 2))).toBe(0);
  });

  it('styblinski_tang reaches ≈ −39.16617·n at xᵢ ≈ −2.903534', () => {
    for (const dim of [1, 3, 10]) {
      const [minimizer] = builtins.styblinski_tang.minimizers(dim, {})!;
      expect(minimizer[0]).toBeCloseTo(-2.903534, 6);
      const f = createBuiltin('styblinski_tang', dim, {}, 0).value(Float64Array.from(minimizer));
      expect(f).toBeCloseTo(-39.16617 * dim, 4);
      expect(builtins.styblinski_tang.minimum(dim, {})).toBeCloseTo(-39.16616570377142 * dim, 10);
    }
  });

  it('rosenbrock: (a, a²) in 2-D for any a, all-ones for a = 1, unknown for other a in higher dimensions', () => {
    expect(builtins.rosenbrock.minimizers(2, { a: 2, b: 100 })).toEqual([[2, 4]]);
    expect(createBuiltin('rosenbrock', 2, { a: 2, b: 100 }, 0).value(Float64Array.of(2, 4))).toBe(0);
    expect(builtins.rosenbrock.minimizers(4, { a: 1, b: 100 })).toEqual([[1, 1, 1, 1]]);
    expect(builtins.rosenbrock.minimizers(3, { a: 2, b: 100 })).toBeNull();
    expect(builtins.rosenbrock.minimum(3, { a: 2, b: 100 })).toBeNull();
  });

  it('ackley at exactly 0: f = 0, the symmetric-limit gradient 0 (not NaN), and a positive definite Hessian', () => {
    for (const dim of [1, 2, 7]) {
      const objective = createBuiltin('ackley', dim, {}, 0);
      const origin = new Float64Array(dim);
      const { f, g } = evaluate(objective, origin);
      expect(f).toBe(0);
      expect(Array.from(g)).toEqual(new Array(dim).fill(0));
      const h = hessianOf(objective, origin);
      // Only the cosine part (c²/n)·e·I remains.
      const diagonal = ((2 * Math.PI) ** 2 * Math.E) / dim;
      for (let i = 0; i < dim; i++) {
        for (let j = 0; j < dim; j++) expect(h[i * dim + j]).toBeCloseTo(i === j ? diagonal : 0, 12);
      }
    }
  });

  it('saddle and monkey_saddle have a stationary point at 0 with an indefinite, resp. zero, Hessian', () => {
    const saddle = createBuiltin('saddle', 2, {}, 0);
    expect(evaluate(saddle, Float64Array.of(0, 0)).g).toEqual(Float64Array.of(0, -0));
    expect(sortedEigenvalues(hessianOf(saddle, Float64Array.of(0, 0)), 2)).toEqual([-2, 2]);
    const monkey = createBuiltin('monkey_saddle', 2, {}, 0);
    expect(maxAbs(evaluate(monkey, Float64Array.of(0, 0)).g)).toBe(0);
    expect(maxAbs(hessianOf(monkey, Float64Array.of(0, 0)))).toBe(0);
    expect(monkey.value(Float64Array.of(-3, 0))).toBe(-27);
  });
});

describe('builtin objectives: registry and catalog', () => {
  it('lists the twelve functions of API.md with their dimension rules', () => {
    expect(Object.keys(builtins).sort()).toEqual([...BUILTIN_NAMES].sort());
    for (const name of BUILTIN_NAMES) {
      const definition = builtins[name];
      expect(definition.name).toBe(name);
      expect(definition.anyDim).toBe(ANY_DIM.includes(name));
      expect(definition.minDim).toBe(name === 'rosenbrock' || !definition.anyDim ? 2 : 1);
      expect(definition.defaultDim).toBe(2);
    }
  });

  it('fills defaults and keeps given values', () => {
    expect(fillBuiltinParams('quadratic', undefined)).toEqual({ conditionNumber: 10, rotate: false });
    expect(fillBuiltinParams('quadratic', { rotate: true })).toEqual({ conditionNumber: 10, rotate: true });
    expect(fillBuiltinParams('rosenbrock', { b: 10 })).toEqual({ a: 1, b: 10 });
    expect(fillBuiltinParams('rastrigin', {})).toEqual({ A: 10 });
    expect(fillBuiltinParams('ackley', {})).toEqual({ a: 20, b: 0.2, c: 2 * Math.PI });
    expect(fillBuiltinParams('booth', undefined)).toEqual({});
  });

  it('uses the classic start points, none of them stationary', () => {
    expect(Array.from(builtins.rosenbrock.defaultStart(5, {}))).toEqual([-1.2, 1, -1.2, 1, -1.2]);
    expect(Array.from(builtins.beale.defaultStart(2, {}))).toEqual([1, 1]);
    expect(Array.from(builtins.himmelblau.defaultStart(2, {}))).toEqual([0, 0]);
    for (const name of BUILTIN_NAMES) {
      for (const dim of builtins[name].anyDim ? [builtins[name].minDim, 2, 3] : [2]) {
        const start = builtins[name].defaultStart(dim, {});
        expect(start).toHaveLength(dim);
        const { g } = evaluate(createBuiltin(name, dim, {}, 0), start);
        expect(maxAbs(g)).toBeGreaterThan(1e-3);
      }
    }
  });

  it('catalog entries are JSON-safe and consistent with the functions', () => {
    for (const name of BUILTIN_NAMES) {
      const entry = catalogEntry(name);
      expect(JSON.parse(JSON.stringify(entry))).toEqual(entry);
      expect(Object.keys(entry).sort()).toEqual(
        [
          'anyDim',
          'box',
          'defaultDim',
          'defaultStart',
          'latex',
          'minDim',
          'minimizers',
          'minimum',
          'name',
          'params',
          'title',
        ].sort(),
      );
      expect(entry.name).toBe(name);
      expect(entry.defaultStart).toHaveLength(2);
      expect(typeof entry.latex).toBe('string');
      const objective = createBuiltin(name, 2, {}, 0);
      const minimizers = entry.minimizers as number[][] | null;
      for (const minimizer of minimizers ?? []) {
        expect(objective.value(Float64Array.from(minimizer))).toBeCloseTo(entry.minimum as number, 9);
      }
    }
    expect(catalogEntry('quadratic').params).toEqual({
      conditionNumber: { default: 10, min: 1, description: expect.any(String) },
      rotate: { default: false, description: expect.any(String) },
    });
    expect(catalogEntry('goldstein_price')).toMatchObject({ minimum: 3, minimizers: [[0, -1]] });
    expect(catalogEntry('rosenbrock')).toMatchObject({
      box: { x: [-2, 2], y: [-1, 3] },
      minimizers: [[1, 1]],
    });
  });

  it('rejects dimensions the schema would have refused (a programming error)', () => {
    expect(() => createBuiltin('beale', 3, {}, 0)).toThrow(RangeError);
    expect(() => createBuiltin('rosenbrock', 1, {}, 0)).toThrow(RangeError);
    expect(() => createBuiltin('sphere', 0, {}, 0)).toThrow(RangeError);
  });
});

describe('builtin objectives at dim 1,000,000', () => {
  const n = 1_000_000;
  const cases: [BuiltinName, BuiltinParams][] = [
    ['sphere', {}],
    ['quadratic', {}],
    ['quadratic', { rotate: true, conditionNumber: 1000 }],
    ['rosenbrock', {}],
    ['rastrigin', {}],
    ['ackley', {}],
    ['styblinski_tang', {}],
  ];
  for (const [name, params] of cases) {
    it(`${name} ${JSON.stringify(params)}: one valueAndGradient call at the standard start gives finite values`, () => {
      const objective = createBuiltin(name, n, params, 42);
      const start = builtins[name].defaultStart(n, params);
      const { f, g } = evaluate(objective, start);
      expect(Number.isFinite(f)).toBe(true);
      expect(g.every(Number.isFinite)).toBe(true);
      expect(objective.value(start)).toBe(f);
    });
  }

  it('values at the standard start agree with closed forms', () => {
    // Rosenbrock at (−1.2, 1, …): 500,000 terms b(1 − 1.44)² + 2.2² = 24.2 and 499,999 terms b(−2.2)² = 484.
    const rosenbrock = createBuiltin('rosenbrock', n, {}, 0).value(builtins.rosenbrock.defaultStart(n, {}));
    const rosenbrockExpected = 500_000 * 24.2 + 499_999 * 484;
    expect(Math.abs(rosenbrock - rosenbrockExpected) / rosenbrockExpected).toBeLessThan(1e-10);
    // Sphere at (1, 1.5, …): n/2 · (1 + 2.25).
    const sphere = createBuiltin('sphere', n, {}, 0).value(builtins.sphere.defaultStart(n, {}));
    expect(Math.abs(sphere - (n / 2) * 3.25) / ((n / 2) * 3.25)).toBeLessThan(1e-10);
    // The quadratic at (1, …, 1): ½ Σ κ^(i/(n−1)) ≈ ½ (n − 1)(κ − 1)/ln κ + ½(1 + κ)/2 (trapezoid rule).
    const kappa = 10;
    const quadraticValue = createBuiltin('quadratic', n, {}, 0).value(new Float64Array(n).fill(1));
    const integral = ((n - 1) * (kappa - 1)) / Math.log(kappa) / 2 + (1 + kappa) / 4;
    expect(Math.abs(quadraticValue - integral) / integral).toBeLessThan(1e-9);
  });
});

describe('quadratic eigenvalues', () => {
  it('are κ^(i/(n−1)): 1 and κ at the ends, log-uniform between, and 1 when n = 1', () => {
    expect(Array.from(quadraticEigenvalues(1, 50))).toEqual([1]);
    expect(Array.from(quadraticEigenvalues(3, 100))).toEqual([1, 10, 100]);
    const lambda = quadraticEigenvalues(5, 1e4);
    for (let i = 0; i < 5; i++) expect(lambda[i]).toBeCloseTo(10 ** i, 9);
  });
});
