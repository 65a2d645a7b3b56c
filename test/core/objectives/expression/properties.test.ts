import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createExpressionObjective,
  type ExpressionObjective,
  parseExpression,
} from '../../../../src/core/objectives/expression/index.ts';
import { evaluateTree, expressionTreeArbitrary, stripPositions } from './helpers.ts';
import { printExpression } from './print.ts';

const VARIABLES = ['x', 'y', 'z'];

/**
 * Points on a lattice with different irrational-looking offsets per coordinate, so that random
 * expressions rarely sit exactly on a kink (x = y, x = 0) or a pole.
 */
const pointArbitrary = fc
  .tuple(
    fc.integer({ min: -2000, max: 2000 }),
    fc.integer({ min: -2000, max: 2000 }),
    fc.integer({ min: -2000, max: 2000 }),
  )
  .map(([a, b, c]) => Float64Array.of(a / 1000 + 0.000123, b / 1000 + 0.000457, c / 1000 - 0.000311));

const finiteAll = (values: ArrayLike<number>) => Array.from(values).every(Number.isFinite);

interface Check {
  estimate: number;
  tolerance: number;
}

/**
 * Central difference of `component` along axis k at two steps, h and h/2. Returns null when the
 * two disagree beyond `tolerance` (ill-conditioned: a kink, pole or cancellation within h), or on
 * any non-finite value.
 */
function centralDifference(
  component: (point: Float64Array) => number,
  point: Float64Array,
  k: number,
  scale: number,
): Check | null {
  const at = (offset: number) => {
    const shifted = Float64Array.from(point);
    shifted[k]! += offset;
    return component(shifted);
  };
  const h = 1e-4 * Math.max(1, Math.abs(point[k]!));
  const coarse = (at(h) - at(-h)) / (2 * h);
  const fine = (at(h / 2) - at(-h / 2)) / h;
  if (!Number.isFinite(coarse) || !Number.isFinite(fine)) return null;
  const tolerance = 1e-6 * (scale + Math.abs(fine));
  if (Math.abs(coarse - fine) > tolerance) return null;
  return { estimate: fine, tolerance };
}

function gradientAt(objective: ExpressionObjective, point: Float64Array): Float64Array {
  const g = new Float64Array(objective.dim);
  objective.valueAndGradient(point, g);
  return g;
}

function hessianAt(objective: ExpressionObjective, point: Float64Array): Float64Array {
  const h = new Float64Array(objective.dim * objective.dim);
  objective.hessian!(point, h);
  return h;
}

/**
 * Whether the exact gradient barely moves in a small neighbourhood (no kink within reach of the
 * differences below). Probed along each axis on both sides, the directions the differences step
 * in: a single diagonal probe never crosses a kink whose normal is orthogonal to it (min(x + y, z)
 * along (1, 2, 3)), and such a kink within h/2 makes both difference quotients agree on the
 * average slope while the exact derivative is one-sided.
 */
function smoothAround(objective: ExpressionObjective, point: Float64Array): boolean {
  const g = gradientAt(objective, point);
  const h = hessianAt(objective, point);
  for (const [axis, sign] of [0, 1, 2].flatMap((k) => [[k, 1] as const, [k, -1] as const])) {
    const nearby = Float64Array.from(point);
    nearby[axis]! += sign * 1e-3 * Math.max(1, Math.abs(point[axis]!));
    const gNearby = gradientAt(objective, nearby);
    const hNearby = hessianAt(objective, nearby);
    if (!finiteAll(gNearby) || !finiteAll(hNearby)) return false;
    for (let k = 0; k < g.length; k++)
      if (Math.abs(gNearby[k]! - g[k]!) > 0.1 * (1 + Math.abs(g[k]!))) return false;
    for (let k = 0; k < h.length; k++)
      if (Math.abs(hNearby[k]! - h[k]!) > 0.1 * (1 + Math.abs(h[k]!))) return false;
  }
  return true;
}

describe('random well-formed expressions', () => {
  it('print and parse back to the same tree', () => {
    fc.assert(
      fc.property(expressionTreeArbitrary(VARIABLES, 5), (tree) => {
        const result = parseExpression(printExpression(tree), { variables: VARIABLES });
        expect(result.ok).toBe(true);
        if (result.ok) expect(stripPositions(result.ast)).toEqual(stripPositions(tree));
      }),
      { numRuns: 500 },
    );
  });

  it('evaluate to the value of the unsimplified tree wherever that is finite', () => {
    let compared = 0;
    fc.assert(
      fc.property(expressionTreeArbitrary(VARIABLES, 5), pointArbitrary, (tree, point) => {
        const objective = createExpressionObjective({
          expression: printExpression(tree),
          variables: VARIABLES,
        });
        const env = new Map(VARIABLES.map((name, k) => [name, point[k]!]));
        const reference = evaluateTree(tree, env);
        const value = objective.value(point);
        expect(objective.valueAndGradient(point, new Float64Array(3))).toBe(value);
        if (!Number.isFinite(reference.value)) return;
        compared++;
        // Simplification may move a rounding (c1·(c2·x) → (c1c2)·x), so allow for the largest
        // intermediate magnitude.
        expect(Math.abs(value - reference.value)).toBeLessThanOrEqual(1e-12 * (1 + reference.scale));
      }),
      { numRuns: 1000 },
    );
    expect(compared).toBeGreaterThan(400);
  });

  it('have gradients and Hessians that agree with central differences wherever finite', () => {
    let gradientChecks = 0;
    let hessianChecks = 0;
    fc.assert(
      fc.property(expressionTreeArbitrary(VARIABLES, 4), pointArbitrary, (tree, point) => {
        const objective = createExpressionObjective({
          expression: printExpression(tree),
          variables: VARIABLES,
        });
        const f = objective.value(point);
        const g = gradientAt(objective, point);
        const h = hessianAt(objective, point);
        if (!Number.isFinite(f) || !finiteAll(g) || !finiteAll(h)) return;
        if (Math.abs(f) > 1e8 || !smoothAround(objective, point)) return;
        for (let k = 0; k < 3; k++) {
          const check = centralDifference((p) => objective.value(p), point, k, 1 + Math.abs(f));
          if (check === null) continue;
          gradientChecks++;
          expect(Math.abs(g[k]! - check.estimate), `∂f/∂${VARIABLES[k]}`).toBeLessThanOrEqual(
            10 * check.tolerance,
          );
        }
        for (let i = 0; i < 3; i++) {
          for (let j = 0; j < 3; j++) {
            const check = centralDifference(
              (p) => gradientAt(objective, p)[i]!,
              point,
              j,
              1 + Math.abs(g[i]!),
            );
            if (check === null) continue;
            hessianChecks++;
            expect(Math.abs(h[i * 3 + j]! - check.estimate), `H[${i}][${j}]`).toBeLessThanOrEqual(
              10 * check.tolerance,
            );
          }
        }
      }),
      { numRuns: 1000 },
    );
    // Most random points are well-conditioned: the checks above really ran.
    expect(gradientChecks).toBeGreaterThan(1000);
    expect(hessianChecks).toBeGreaterThan(3000);
  });
});

describe('random garbage', () => {
  const alphabet = [...'xyz_09.e+-*/^(),  \t\n[]{};=\'"`$\\@#!?:<>&|%~'].map((char) => fc.constant(char));
  const tokens = ['sin', 'min', 'pow', 'pi', 'e', 'constructor', '__proto__', 'this', '1e-3', '.5', '('].map(
    (word) => fc.constant(word),
  );
  const garbage = fc.oneof(
    fc.string({ unit: fc.oneof(...alphabet, ...tokens), maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.string({ maxLength: 200 }),
  );

  /**
   * What an answer must be: an error whose message ends with ` at <position>` (then an optional
   * hint), its position inside the text; or a parse whose compiled objective has the value of the
   * parse tree (the reference evaluation) at a point.
   */
  function expectSoundAnswer(text: string): void {
    const result = parseExpression(text);
    if (!result.ok) {
      const stated = / at (\d+)( \(.+\))?$/.exec(result.error.message);
      expect(stated, result.error.message).not.toBeNull();
      expect(Number(stated?.[1])).toBe(result.error.position);
      expect(result.error.position).toBeGreaterThanOrEqual(0);
      expect(result.error.position).toBeLessThanOrEqual(text.length);
      return;
    }
    const objective = createExpressionObjective({ expression: text });
    expect(objective.dim).toBe(result.variables.length);
    const point = new Float64Array(objective.dim).map((_, k) => 0.5 + 0.125 * k);
    const env = new Map(result.variables.map((name, k) => [name, point[k]!]));
    const reference = evaluateTree(result.ast, env);
    const value = objective.valueAndGradient(point, new Float64Array(objective.dim));
    if (Number.isFinite(reference.value))
      expect(Math.abs(value - reference.value)).toBeLessThanOrEqual(1e-12 * (1 + reference.scale));
    else expect(Number.isFinite(value)).toBe(false);
  }

  it('is answered with a positioned error, or a parse whose objective has the value of its tree', () => {
    let parsedCount = 0;
    fc.assert(
      fc.property(garbage, (text) => {
        if (parseExpression(text).ok) parsedCount++;
        expectSoundAnswer(text);
      }),
      { numRuns: 5000 },
    );
    // Some garbage is a valid expression (`x`, `e+y`): both branches ran.
    expect(parsedCount).toBeGreaterThan(0);
  });

  it('answers long garbage (5,000–10,000 characters) with an AST or a positioned error, never a throw', () => {
    // No timing assertion (the machine is shared): a super-linear parser would show here as the
    // test running into vitest's timeout, 50 inputs of up to 10,000 characters each.
    fc.assert(
      fc.property(
        fc.string({ unit: fc.oneof(...alphabet, ...tokens), minLength: 5000, maxLength: 10_000 }),
        (text) => {
          expectSoundAnswer(text.slice(0, 10_000));
        },
      ),
      { numRuns: 50 },
    );
  });
});
