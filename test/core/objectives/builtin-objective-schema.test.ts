import { describe, expect, it } from 'vitest';
import { BUILTIN_NAMES } from '../../../src/core/objectives/builtins/index.ts';
import {
  builtinObjectiveSchema,
  createBuiltinObjectiveSchema,
} from '../../../src/schemas/builtin-objective.ts';

/** The issues of a rejected input as [path, message] pairs. */
function issuesOf(input: unknown, schema = builtinObjectiveSchema): [PropertyKey[], string][] {
  const result = schema.safeParse(input);
  expect(result.success).toBe(false);
  return result.success ? [] : result.error.issues.map((issue) => [issue.path, issue.message]);
}

describe('builtin objective schema', () => {
  it('accepts every builtin with dim and params omitted, and keeps what it was given', () => {
    for (const name of BUILTIN_NAMES)
      expect(builtinObjectiveSchema.parse({ type: 'builtin', name })).toEqual({ type: 'builtin', name });
    const spec = {
      type: 'builtin',
      name: 'quadratic',
      dim: 50,
      params: { conditionNumber: 1e6, rotate: true },
    };
    expect(builtinObjectiveSchema.parse(spec)).toEqual(spec);
    expect(
      builtinObjectiveSchema.parse({ type: 'builtin', name: 'beale', dim: 2, params: {} }),
    ).toMatchObject({ dim: 2 });
    expect(
      builtinObjectiveSchema.parse({ type: 'builtin', name: 'quadratic', params: { conditionNumber: 1 } })
        .params,
    ).toEqual({
      conditionNumber: 1,
    });
  });

  it('rejects an unknown parameter, naming it in the path', () => {
    expect(issuesOf({ type: 'builtin', name: 'rosenbrock', params: { c: 1 } })).toEqual([
      [['params', 'c'], "unknown parameter 'c' of rosenbrock; allowed: 'a', 'b'"],
    ]);
    expect(issuesOf({ type: 'builtin', name: 'booth', params: { a: 1 } })).toEqual([
      [['params', 'a'], "unknown parameter 'a' of booth; booth takes no parameters"],
    ]);
  });

  it('rejects conditionNumber below 1', () => {
    expect(issuesOf({ type: 'builtin', name: 'quadratic', params: { conditionNumber: 0.5 } })).toEqual([
      [['params', 'conditionNumber'], 'must be >= 1'],
    ]);
  });

  it('rejects parameters of the wrong type', () => {
    expect(issuesOf({ type: 'builtin', name: 'quadratic', params: { rotate: 1 } })).toEqual([
      [['params', 'rotate'], 'must be a boolean'],
    ]);
    expect(issuesOf({ type: 'builtin', name: 'quadratic', params: { conditionNumber: true } })).toEqual([
      [['params', 'conditionNumber'], 'must be a number'],
    ]);
    expect(issuesOf({ type: 'builtin', name: 'rastrigin', params: { A: '10' } })).toEqual([
      [['params', 'A'], expect.any(String)],
    ]);
  });

  it('rejects non-finite numbers', () => {
    for (const value of [Number.POSITIVE_INFINITY, Number.NaN]) {
      expect(issuesOf({ type: 'builtin', name: 'ackley', params: { c: value } })).toEqual([
        [['params', 'c'], expect.any(String)],
      ]);
    }
  });

  it('rejects negative values where a minimum is declared (rosenbrock b, rastrigin A)', () => {
    expect(issuesOf({ type: 'builtin', name: 'rosenbrock', params: { b: -1 } })).toEqual([
      [['params', 'b'], 'must be >= 0'],
    ]);
    expect(issuesOf({ type: 'builtin', name: 'rastrigin', params: { A: -3 } })).toEqual([
      [['params', 'A'], 'must be >= 0'],
    ]);
    expect(
      builtinObjectiveSchema.safeParse({ type: 'builtin', name: 'rosenbrock', params: { a: -5 } }).success,
    ).toBe(true);
  });

  it('rejects dim 3 for the 2-D-only functions and dim 1 for rosenbrock', () => {
    for (const name of ['beale', 'booth', 'himmelblau', 'goldstein_price', 'saddle', 'monkey_saddle']) {
      expect(issuesOf({ type: 'builtin', name, dim: 3 })).toEqual([
        [['dim'], `${name} is defined for dim 2 only`],
      ]);
    }
    expect(issuesOf({ type: 'builtin', name: 'rosenbrock', dim: 1 })).toEqual([
      [['dim'], 'rosenbrock needs dim >= 2'],
    ]);
    expect(builtinObjectiveSchema.safeParse({ type: 'builtin', name: 'rosenbrock', dim: 3 }).success).toBe(
      true,
    );
    expect(builtinObjectiveSchema.safeParse({ type: 'builtin', name: 'sphere', dim: 1 }).success).toBe(true);
  });

  it('rejects dims that are not positive integers or exceed the configured maximum', () => {
    for (const dim of [0, -2, 2.5])
      expect(issuesOf({ type: 'builtin', name: 'sphere', dim })[0][0]).toEqual(['dim']);
    expect(
      builtinObjectiveSchema.safeParse({ type: 'builtin', name: 'sphere', dim: 1_000_000 }).success,
    ).toBe(true);
    expect(issuesOf({ type: 'builtin', name: 'sphere', dim: 1_000_001 })[0][0]).toEqual(['dim']);
    const small = createBuiltinObjectiveSchema({ maxDim: 100 });
    expect(issuesOf({ type: 'builtin', name: 'sphere', dim: 101 }, small)[0][0]).toEqual(['dim']);
    expect(small.safeParse({ type: 'builtin', name: 'sphere', dim: 100 }).success).toBe(true);
  });

  it('rejects unknown names and unknown top-level fields', () => {
    expect(issuesOf({ type: 'builtin', name: 'eggholder' })[0][0]).toEqual(['name']);
    expect(builtinObjectiveSchema.safeParse({ type: 'builtin', name: 'sphere', seed: 1 }).success).toBe(
      false,
    );
  });

  it('reports every refinement issue together once the value types are right', () => {
    const issues = issuesOf({
      type: 'builtin',
      name: 'quadratic',
      params: { conditionNumber: 0, rotate: 'yes', kappa: 3 },
    });
    expect(issues.map(([path]) => path)).toEqual([['params', 'rotate']]);
    const refined = issuesOf({
      type: 'builtin',
      name: 'quadratic',
      params: { conditionNumber: 0, rotate: 1, kappa: 3 },
    });
    expect(refined.map(([path]) => path)).toEqual([
      ['params', 'conditionNumber'],
      ['params', 'rotate'],
      ['params', 'kappa'],
    ]);
  });
});
