import { describe, expect, it } from 'vitest';
import {
  buildGraph,
  createExpressionObjective,
  ExpressionGraph,
  evaluateGraph,
  forwardDerivative,
  type GraphNode,
  gradientNodes,
  hessianNodes,
  parseExpression,
} from '../../../../src/core/objectives/expression/index.ts';

function evaluate(expression: string, x: number[], variables?: string[]) {
  const objective = createExpressionObjective({ expression, variables });
  const point = Float64Array.from(x);
  const gradient = new Float64Array(objective.dim);
  const hessian = new Float64Array(objective.dim * objective.dim);
  const f = objective.valueAndGradient(point, gradient);
  objective.hessian!(point, hessian);
  return { f, value: objective.value(point), gradient: [...gradient], hessian: [...hessian] };
}

/** Builds the simplified graph of `expression` (variables sorted). */
function graphOf(expression: string): { graph: ExpressionGraph; root: GraphNode; variables: string[] } {
  const parsed = parseExpression(expression);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const graph = new ExpressionGraph();
  return { graph, root: buildGraph(graph, parsed.ast, parsed.variables), variables: parsed.variables };
}

function nodeCount(roots: GraphNode[]): number {
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (!seen.has(node.id)) {
      seen.add(node.id);
      stack.push(...node.args);
    }
  }
  return seen.size;
}

describe('exact derivatives', () => {
  it('gives the hand-derived Rosenbrock value, gradient and Hessian at (−1.2, 1)', () => {
    // f = (1−x)² + 100(y−x²)²; ∇f = (−2(1−x) − 400x(y−x²), 200(y−x²));
    // ∇²f = [[2 − 400(y − 3x²), −400x], [−400x, 200]].
    const [x, y] = [-1.2, 1];
    const { f, value, gradient, hessian } = evaluate('(1-x)^2 + 100*(y-x^2)^2', [x, y]);
    const t = y - x * x;
    expect(f).toBeCloseTo((1 - x) ** 2 + 100 * t * t, 12);
    expect(value).toBe(f);
    expect(gradient[0]).toBeCloseTo(-2 * (1 - x) - 400 * x * t, 11);
    expect(gradient[1]).toBeCloseTo(200 * t, 12);
    expect(hessian[0]).toBeCloseTo(2 - 400 * (y - 3 * x * x), 10);
    expect(hessian[1]).toBeCloseTo(-400 * x, 12);
    expect(hessian[2]).toBe(hessian[1]);
    expect(hessian[3]).toBe(200);
    expect(f).toBeCloseTo(24.2, 12);
    expect(gradient[0]).toBeCloseTo(-215.6, 11);
    expect(gradient[1]).toBeCloseTo(-88, 12);
    expect(hessian).toEqual([1330, 480, 480, 200].map((entry, k) => expect.closeTo(entry, k === 0 ? 9 : 12)));
  });

  it.each([
    // [expression, x, f, gradient]
    ['sin(x)', 0.3, Math.sin(0.3), Math.cos(0.3)],
    ['cos(x)', 0.3, Math.cos(0.3), -Math.sin(0.3)],
    ['tan(x)', 0.3, Math.tan(0.3), 1 / Math.cos(0.3) ** 2],
    ['exp(x)', 0.3, Math.exp(0.3), Math.exp(0.3)],
    ['log(x)', 0.3, Math.log(0.3), 1 / 0.3],
    ['sqrt(x)', 0.3, Math.sqrt(0.3), 0.5 / Math.sqrt(0.3)],
    ['abs(x)', -0.3, 0.3, -1],
    ['tanh(x)', 0.3, Math.tanh(0.3), 1 - Math.tanh(0.3) ** 2],
    ['sinh(x)', 0.3, Math.sinh(0.3), Math.cosh(0.3)],
    ['cosh(x)', 0.3, Math.cosh(0.3), Math.sinh(0.3)],
    ['atan(x)', 0.3, Math.atan(0.3), 1 / (1 + 0.09)],
    ['asin(x)', 0.3, Math.asin(0.3), 1 / Math.sqrt(1 - 0.09)],
    ['acos(x)', 0.3, Math.acos(0.3), -1 / Math.sqrt(1 - 0.09)],
    ['x^3', -2, -8, 12],
    ['pow(x, 0.5)', 4, 2, 0.25],
    ['2^x', 3, 8, 8 * Math.LN2],
    ['x^x', 2, 4, 4 * (Math.log(2) + 1)],
    ['1/x', 4, 0.25, -1 / 16],
    ['min(x, 1)', 0.5, 0.5, 1],
    ['min(x, 1)', 2, 1, 0],
    ['max(x, 1)', 2, 2, 1],
    ['max(x, 1)', 0.5, 1, 0],
  ] as const)('d/dx %s at %d', (expression, x, f, derivative) => {
    const result = evaluate(expression, [x]);
    expect(result.f).toBeCloseTo(f, 14);
    expect(result.gradient[0]).toBeCloseTo(derivative, 13);
  });

  it('differentiates abs as sign(x): 0 at 0', () => {
    expect(evaluate('abs(x)', [0]).gradient).toEqual([0]);
    expect(evaluate('abs(x)', [2]).gradient).toEqual([1]);
    expect(evaluate('abs(x)', [2]).hessian).toEqual([0]);
  });

  it('takes the first argument of min and max at a tie', () => {
    expect(evaluate('min(x, y)', [1, 1]).gradient).toEqual([1, 0]);
    expect(evaluate('max(x, y)', [1, 1]).gradient).toEqual([1, 0]);
    expect(evaluate('min(y, x)', [1, 1]).gradient).toEqual([0, 1]);
    expect(evaluate('max(2*x, y^2)', [3, 2]).gradient).toEqual([2, 0]);
    expect(evaluate('max(2*x, y^2)', [1, 2]).gradient).toEqual([0, 4]);
    expect(evaluate('max(2*x, y^2)', [1, 2]).hessian).toEqual([0, 0, 0, 2]);
  });

  it('never takes the log of a negative base for a constant exponent', () => {
    // d/dx x^3 at −2 is 12; the general rule v·(b'·log a + …) would give NaN.
    expect(evaluate('x^3 + y', [-2, 1]).gradient).toEqual([12, 1]);
    expect(evaluate('x^y', [-2, 2]).gradient[0]).toBe(-4);
    expect(evaluate('x^(2*pi/pi)', [-3, 0], ['x', 'y']).hessian[0]).toBe(2);
  });

  it('gives NaN or ±∞, never an exception, on domain errors', () => {
    expect(evaluate('log(x)', [-1]).f).toBeNaN();
    expect(evaluate('log(x)', [0]).f).toBe(Number.NEGATIVE_INFINITY);
    expect(evaluate('sqrt(x)', [-1]).f).toBeNaN();
    expect(evaluate('sqrt(x)', [-1]).gradient[0]).toBeNaN();
    expect(evaluate('sqrt(x)', [0]).gradient[0]).toBe(Number.POSITIVE_INFINITY);
    const zeroOverZero = evaluate('x/y', [0, 0]);
    expect(zeroOverZero.f).toBeNaN();
    // ∂/∂x = 1/y = ∞, ∂/∂y = −(x/y)/y = NaN.
    expect(zeroOverZero.gradient).toEqual([Number.POSITIVE_INFINITY, Number.NaN]);
    expect(evaluate('x + 0/0', [1]).f).toBeNaN();
    expect(evaluate('asin(x)', [2]).f).toBeNaN();
    expect(evaluate('x^0.5', [-4]).f).toBeNaN();
    expect(evaluate('exp(x)', [1000]).f).toBe(Number.POSITIVE_INFINITY);
  });

  it('writes an exactly symmetric Hessian', () => {
    const { hessian } = evaluate('sin(x*y) + exp(x - z^2) * y + log(1 + x^2*z^2)', [0.3, -0.7, 1.1]);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) expect(hessian[i * 3 + j]).toBe(hessian[j * 3 + i]);
  });

  it('writes zeros for unused variables and constant parts', () => {
    expect(evaluate('x^2', [3, 5], ['x', 'y'])).toEqual({
      f: 9,
      value: 9,
      gradient: [6, 0],
      hessian: [2, 0, 0, 0],
    });
    // The in-place outputs are fully overwritten, also where the previous call left values.
    const objective = createExpressionObjective({ expression: 'x*y' });
    const h = new Float64Array([7, 7, 7, 7]);
    objective.hessian!(Float64Array.of(1, 2), h);
    expect([...h]).toEqual([0, 1, 1, 0]);
  });

  it('fills a large sparse Hessian with zeros before the entries', () => {
    const names = Array.from({ length: 20 }, (_, k) => `x${k}`);
    const objective = createExpressionObjective({ expression: names.map((name) => `${name}^2`).join(' + ') });
    const h = new Float64Array(400).fill(9);
    objective.hessian!(new Float64Array(20).fill(1), h);
    expect([...h]).toEqual(Array.from({ length: 400 }, (_, k) => (k % 21 === 0 ? 2 : 0)));
    expect(objective.source.hessian).not.toContain('h[1] =');
  });

  it('omits the Hessian, keeping value and gradient, past the node budget', () => {
    const objective = createExpressionObjective({ expression: 'sin(x*y)*exp(y)' }, { maxGraphNodes: 10 });
    expect(objective.hessian).toBeUndefined();
    expect(objective.source.hessian).toBeNull();
    const g = new Float64Array(2);
    expect(objective.valueAndGradient(Float64Array.of(1, 0), g)).toBe(0);
    expect([...g]).toEqual([0, 1]);
  });
});

describe('simplification', () => {
  it('keeps d/dx x^2 = 2x at three nodes', () => {
    const { graph, root } = graphOf('x^2');
    const [derivative] = forwardDerivative(graph, [root], 0);
    expect(nodeCount([derivative!])).toBe(3);
    expect(derivative).toMatchObject({
      op: 'multiply',
      args: [{ op: 'constant', value: 2 }, { op: 'variable' }],
    });
    const [reverse] = gradientNodes(graph, root, 1);
    expect(reverse).toBe(derivative);
  });

  it('applies x*1 = x, x+0 = x, x*0 = 0, x^1 = x, --x = x and folds constants', () => {
    const x = (text: string) => graphOf(text).root;
    expect(x('x*1')).toMatchObject({ op: 'variable', index: 0 });
    expect(x('1*x + 0')).toMatchObject({ op: 'variable' });
    expect(x('x^1 - 0')).toMatchObject({ op: 'variable' });
    expect(x('--x')).toMatchObject({ op: 'variable' });
    expect(x('x/1')).toMatchObject({ op: 'variable' });
    expect(x('x*0 + y')).toMatchObject({ op: 'variable', index: 1 });
    expect(x('x^0 + 2*3 - 1 + y*0')).toMatchObject({ op: 'constant', value: 6 });
    expect(x('x + sin(pi/2) - 1')).toMatchObject({ op: 'subtract' });
    expect(x('x + x')).toMatchObject({ op: 'multiply', args: [{ value: 2 }, { op: 'variable' }] });
    expect(x('0/0 + x')).toMatchObject({
      op: 'add',
      args: [{ op: 'constant', value: Number.NaN }, { op: 'variable' }],
    });
  });

  it('shares equal subexpressions, including reordered sums and products', () => {
    const { root } = graphOf('sin(x*y) + sin(y*x) * (x*y)');
    expect(nodeCount([root])).toBe(6); // x, y, x*y, sin, product, sum
  });

  it('computes a repeated subexpression once in the generated code', () => {
    const objective = createExpressionObjective({ expression: 'exp(sin(x)) + sin(x)^2 + cos(sin(x))' });
    const count = (source: string, name: string) => source.split(name).length - 1;
    expect(count(objective.source.value, 'Math.sin(')).toBe(1);
    // sin(x), and sin(sin(x)) from the derivative of cos(sin(x)).
    expect(count(objective.source.valueAndGradient, 'Math.sin(')).toBe(2);
    expect(count(objective.source.valueAndGradient, 'Math.exp(')).toBe(1);
    expect(count(objective.source.valueAndGradient, 'Math.cos(')).toBe(2); // cos(sin x) and cos(x)
  });

  it('keeps the Rosenbrock gradient and Hessian compact', () => {
    const objective = createExpressionObjective({ expression: '(1-x)^2 + 100*(y-x^2)^2' });
    expect(objective.nodeCounts.value).toBeLessThanOrEqual(12);
    expect(objective.nodeCounts.valueAndGradient).toBeLessThanOrEqual(22);
    expect(objective.nodeCounts.hessian).toBeLessThanOrEqual(16);
  });

  it('keeps the gradient of a sum over many variables linear in size', () => {
    const names = Array.from({ length: 200 }, (_, k) => `w${k}`);
    const { graph, root } = graphOf(names.map((name) => `(${name} - 1)^2`).join(' + '));
    const gradient = gradientNodes(graph, root, names.length);
    expect(nodeCount(gradient)).toBeLessThanOrEqual(3 * names.length + 2);
    const hessian = hessianNodes(graph, gradient)!;
    expect(nodeCount(hessian)).toBe(2); // the constants 2 and 0
  });

  it('agrees with the interpreted graph exactly', () => {
    const { graph, root } = graphOf('x*exp(-y^2) / (1 + x^2) + min(x, y) * abs(y)');
    const gradient = gradientNodes(graph, root, 2);
    const objective = createExpressionObjective({
      expression: 'x*exp(-y^2) / (1 + x^2) + min(x, y) * abs(y)',
    });
    const point = Float64Array.of(0.4, -1.3);
    const g = new Float64Array(2);
    const f = objective.valueAndGradient(point, g);
    expect(evaluateGraph([root, ...gradient], point)).toEqual([f, g[0], g[1]]);
  });
});
