import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createExpressionObjective,
  formatNumber,
  isSafeSource,
  parseExpression,
} from '../../../../src/core/objectives/expression/index.ts';
import { evaluateTree, expressionTreeArbitrary, onlyReviewedTokens } from './helpers.ts';
import { printExpression } from './print.ts';

describe('formatNumber', () => {
  it.each([
    [0, '0'],
    [-0, '(-0)'],
    [2, '2'],
    [-2.5, '(-2.5)'],
    [1e-7, '1e-7'],
    [1e21, '1e+21'],
    [-5e-324, '(-5e-324)'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [Math.PI, '3.141592653589793'],
    [Number.NaN, '(0/0)'],
    [Number.POSITIVE_INFINITY, '(1/0)'],
    [Number.NEGATIVE_INFINITY, '(-1/0)'],
  ])('formats %d as %s, which evaluates back to it', (value, text) => {
    expect(formatNumber(value)).toBe(text);
    expect(onlyReviewedTokens(text)).toBe(true);
    expect(Object.is(new Function(`return ${text};`)(), value)).toBe(true);
  });

  it('round-trips every double exactly', () => {
    fc.assert(
      fc.property(fc.double(), (value) => {
        expect(Object.is(new Function(`return ${formatNumber(value)};`)(), value)).toBe(true);
      }),
    );
  });
});

describe('generated source review', () => {
  it('compiles Rosenbrock to straight-line code whose value and gradient match the parse tree and the formula', () => {
    const text = '(1-x)^2 + 100*(y-x^2)^2';
    const objective = createExpressionObjective({ expression: text });
    const parsed = parseExpression(text);
    if (!parsed.ok) throw new Error(parsed.error.message);
    // Straight-line code over x[i], g[i] and temporaries (whatever their names): no loop, no call.
    const statement = /^(const t\d+ = [^;]+;|g\[[01]\] = t\d+;|return t\d+;)$/;
    for (const source of [objective.source.value, objective.source.valueAndGradient]) {
      for (const line of source.split('\n')) expect(line).toMatch(statement);
    }
    for (const [x, y] of [
      [-1.2, 1],
      [1, 1],
      [0.5, -0.25],
      [3, 9.5],
    ]) {
      const point = Float64Array.of(x, y);
      const reference = evaluateTree(
        parsed.ast,
        new Map([
          ['x', x],
          ['y', y],
        ]),
      ).value;
      expect(objective.value(point)).toBe(reference);
      const g = new Float64Array(2);
      expect(objective.valueAndGradient(point, g)).toBe(reference);
      // ∂f/∂x = −2(1 − x) − 400x(y − x²), ∂f/∂y = 200(y − x²)
      expect(g[0]).toBeCloseTo(-2 * (1 - x) - 400 * x * (y - x * x), 10);
      expect(g[1]).toBeCloseTo(200 * (y - x * x), 10);
    }
  });

  it('contains only whitelisted tokens for every function, constant and operator', () => {
    const objective = createExpressionObjective({
      expression:
        'sin(x) + cos(y) + tan(x*y) + exp(-x) + log(y^2 + 1) + sqrt(x^2 + 1) + abs(x - y) + tanh(x) + sinh(y) ' +
        '+ cosh(x) + atan(y) + asin(x/9) + acos(y/9) + min(x, y) + max(x, -y) + pow(x, y) + x^-2.5 + pi*e + 1e-300*x',
    });
    for (const source of [
      objective.source.value,
      objective.source.valueAndGradient,
      objective.source.hessian!,
    ]) {
      expect(onlyReviewedTokens(source), source).toBe(true);
      expect(isSafeSource(source)).toBe(true);
    }
    expect(objective.source.valueAndGradient).toContain('Math.sign(');
    expect(objective.source.valueAndGradient).toMatch(/t\d+ <= t\d+ \? /);
  });

  it('contains only whitelisted tokens for random expressions', () => {
    fc.assert(
      fc.property(expressionTreeArbitrary(['x', 'y', 'z'], 4), (tree) => {
        const objective = createExpressionObjective({
          expression: printExpression(tree),
          variables: ['x', 'y', 'z'],
        });
        for (const source of [
          objective.source.value,
          objective.source.valueAndGradient,
          objective.source.hessian!,
        ]) {
          expect(onlyReviewedTokens(source)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('has review checks that reject code outside the grammar', () => {
    for (const bad of [
      'process.exit()',
      'this',
      'x.constructor',
      'g[0] = "a";',
      'Math.random()',
      '`',
      'y[0]',
    ]) {
      expect(onlyReviewedTokens(bad), bad).toBe(false);
      expect(isSafeSource(bad), bad).toBe(false);
    }
    // Whitelisted tokens in a shape the generator never writes: the statement grammar refuses them.
    for (const bad of [
      'const t1 = x[0]();',
      'const t1 = t2 * t3 * t4;',
      'x[0] = 1;',
      'return t1 = t2;',
      'const t1 = Math.pow(t2);',
    ]) {
      expect(isSafeSource(bad), bad).toBe(false);
    }
    expect(isSafeSource('const t1 = x[0];\nconst t2 = t1 - (-2.5e-7);\ng[0] = t2;\nreturn (0/0);')).toBe(
      true,
    );
  });
});
