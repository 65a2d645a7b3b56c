import { describe, expect, it } from 'vitest';
import { type ExpressionNode, parseExpression } from '../../../../src/core/objectives/expression/index.ts';
import { evaluateTree, stripPositions } from './helpers.ts';
import { printExpression } from './print.ts';

function parsed(text: string, variables?: string[]): { ast: ExpressionNode; variables: string[] } {
  const result = parseExpression(text, variables === undefined ? {} : { variables });
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${result.error.message}`);
  return result;
}

function evaluated(text: string, env: Record<string, number> = {}): number {
  return evaluateTree(parsed(text).ast, new Map(Object.entries(env))).value;
}

function errorOf(text: string, options: Parameters<typeof parseExpression>[1] = {}) {
  const result = parseExpression(text, options);
  if (result.ok) throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
  return result.error;
}

describe('parseExpression grammar', () => {
  it('reads number literals with fractions, leading dots and exponents', () => {
    expect(evaluated('x*0 + 1e-3', { x: 1 })).toBe(0.001);
    expect(evaluated('x*0 + .5', { x: 1 })).toBe(0.5);
    expect(evaluated('x*0 + 2.5E+2', { x: 1 })).toBe(250);
    expect(evaluated('x*0 + 1.', { x: 1 })).toBe(1);
    expect(evaluated('x*0 + 007', { x: 1 })).toBe(7);
  });

  it('binds ^ tighter than unary minus: -x^2 = -(x^2)', () => {
    expect(evaluated('-x^2', { x: 3 })).toBe(-9);
    expect(evaluated('(-x)^2', { x: 3 })).toBe(9);
    expect(evaluated('2^-x', { x: 1 })).toBe(0.5);
    expect(evaluated('-x^-2', { x: 2 })).toBe(-0.25);
  });

  it('makes ^ right-associative: 2^3^2 = 2^9', () => {
    expect(evaluated('x^3^2', { x: 2 })).toBe(512);
    expect(evaluated('(x^3)^2', { x: 2 })).toBe(64);
  });

  it('makes + - * / left-associative with the usual precedence', () => {
    expect(evaluated('x - 3 - 2', { x: 10 })).toBe(5);
    expect(evaluated('x / 4 / 5', { x: 100 })).toBe(5);
    expect(evaluated('x + 2 * 3 ^ 2', { x: 1 })).toBe(19);
    expect(evaluated('-x * -x', { x: 3 })).toBe(9);
    expect(evaluated('+x - +2', { x: 3 })).toBe(1);
    expect(evaluated('x - -2', { x: 3 })).toBe(5);
    expect(evaluated('- - - x', { x: 3 })).toBe(-3);
  });

  it('knows the constants pi and e and every function with its arity', () => {
    expect(evaluated('pi + e*x', { x: 0 })).toBe(Math.PI);
    expect(evaluated('e^x', { x: 1 })).toBe(Math.E);
    expect(evaluated('sin(x) + cos(x) + tan(x) + exp(x) + log(x + 1) + sqrt(x) + abs(-x)', { x: 0 })).toBe(2);
    expect(evaluated('tanh(x) + sinh(x) + cosh(x) + atan(x) + asin(x) + acos(x)', { x: 0 })).toBeCloseTo(
      1 + Math.PI / 2,
      15,
    );
    expect(evaluated('min(x, 2) + max(x, 2) + pow(x, 2)', { x: 3 })).toBe(14);
  });

  it('accepts whitespace (spaces, tabs, newlines) between tokens', () => {
    expect(evaluated(' \t( 1 -\nx )^2\r\n', { x: 3 })).toBe(4);
  });

  it('records the position of every node', () => {
    const { ast } = parsed('a + sin(b)');
    expect(ast).toMatchObject({
      kind: 'binary',
      position: 2,
      left: { kind: 'variable', name: 'a', position: 0 },
      right: { kind: 'call', name: 'sin', position: 4, args: [{ kind: 'variable', name: 'b', position: 8 }] },
    });
  });

  it('prints a tree back to text that parses to the same tree', () => {
    for (const text of [
      '-x^2',
      '(-x)^2',
      'x^y^z',
      '(x^y)^z',
      'x - (y - z)',
      'x / (y * z)',
      '-(x + y) * 2',
      'min(x, -y)',
    ]) {
      const { ast } = parsed(text);
      expect(stripPositions(parsed(printExpression(ast)).ast)).toEqual(stripPositions(ast));
    }
    expect(printExpression(parsed('(x)+((y))*2').ast)).toBe('x + y * 2');
  });
});

describe('parseExpression variables', () => {
  it('orders free variables by name by default', () => {
    expect(parsed('y + b*x + a + y').variables).toEqual(['a', 'b', 'x', 'y']);
  });

  it('takes the order from `variables`, which may name unused variables', () => {
    expect(parsed('x + y', ['y', 'x', 'z']).variables).toEqual(['y', 'x', 'z']);
  });

  it('reports a used variable missing from `variables` with its position', () => {
    expect(errorOf('x + zeta', { variables: ['x'] })).toEqual({
      message: "unknown variable 'zeta' at 4: it is not in variables",
      position: 4,
      variableIndex: -1,
    });
  });

  it('reports duplicates and invalid names in `variables` with their index', () => {
    expect(errorOf('x + y', { variables: ['x', 'y', 'x'] })).toMatchObject({
      message: "duplicate variable 'x' in variables[2]",
      variableIndex: 2,
    });
    expect(errorOf('x', { variables: ['x', '1y'] })).toMatchObject({
      message: 'invalid variable name "1y" in variables[1]',
      variableIndex: 1,
    });
    expect(errorOf('x', { variables: ['x', 'sin'] })).toMatchObject({
      message: "'sin' is a function, not a variable in variables[1]",
      variableIndex: 1,
    });
    expect(errorOf('x', { variables: ['pi', 'x'] })).toMatchObject({ variableIndex: 0 });
    expect(errorOf('x', { variables: ['x', '__proto__'] })).toMatchObject({
      message: "reserved name '__proto__' in variables[1]",
      variableIndex: 1,
    });
    expect(errorOf('x', { variables: ['x', 'a.b'] })).toMatchObject({ variableIndex: 1 });
    expect(errorOf('x', { variables: ['x', ''] })).toMatchObject({ variableIndex: 1 });
  });

  it('rejects an expression without variables', () => {
    expect(errorOf('1 + 2')).toEqual({ message: 'expression has no variables at 0', position: 0 });
    expect(parsed('1 + 2', ['x']).variables).toEqual(['x']);
  });
});

describe('parseExpression errors', () => {
  it.each([
    ['(1-x)^2 + 100*)', "unexpected ')' at 14", 14],
    [
      'foo(x)',
      "unknown function 'foo' at 0 (functions: sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, atan, asin, acos, min, max, pow)",
      0,
    ],
    [
      'x + bar(1)',
      "unknown function 'bar' at 4 (functions: sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, atan, asin, acos, min, max, pow)",
      4,
    ],
    ['sin(x, y)', "expected 1 argument for 'sin' at 0", 0],
    ['x * sin()', "expected 1 argument for 'sin' at 4", 4],
    ['pow(x)', "expected 2 arguments for 'pow' at 0", 0],
    ['max(x, y, 1)', "expected 2 arguments for 'max' at 0", 0],
    ['sin x', "expected '(' after 'sin' at 3", 3],
    ['x +', 'unexpected end of expression at 3', 3],
    ['', 'unexpected end of expression at 0', 0],
    ['   ', 'unexpected end of expression at 3', 3],
    ['(x + 1', "unclosed '(' at 0", 0],
    ['x + (y', "unclosed '(' at 4", 4],
    ['x y', "unexpected 'y' at 2", 2],
    ['x)', "unexpected ')' at 1", 1],
    ['()', "unexpected ')' at 1", 1],
    ['x ** 2', "unexpected '*' at 3 (powers are written with '^': x^2, not x**2)", 3],
    ['x**2 + y', "unexpected '*' at 2 (powers are written with '^': x^2, not x**2)", 2],
    ['100(y - x^2)^2', "unexpected '(' at 3 (missing '*'? write 100*( to multiply)", 3],
    ['(x + 1)(x - 1)', "unexpected '(' at 7 (missing '*'? write )*( to multiply)", 7],
    ['x + pi(y)', "unknown function 'pi' at 4 (missing '*'? write pi*( to multiply)", 4],
    ['x $ y', "unexpected character '$' at 2", 2],
    ['x\u00a0+ y', 'unexpected character U+00A0 at 1', 1],
    ['2x', "malformed number '2x' at 0 (missing '*'? write 2*x to multiply)", 0],
    ['x + 3.5y^2', "malformed number '3.5y' at 4 (missing '*'? write 3.5*y to multiply)", 4],
    ['x + 1e', "malformed number '1e' at 4", 4],
    ['1.2.3 + x', "malformed number '1.2.3' at 0", 0],
    ['x + 1e999', "number out of range '1e999' at 4", 4],
    ['pi(x)', "unknown function 'pi' at 0 (missing '*'? write pi*( to multiply)", 0],
    ['x(2)', "unknown function 'x' at 0 (missing '*'? write x*( to multiply)", 0],
    ['min(x, )', "unexpected ')' at 7", 7],
    ['x, y', "unexpected ',' at 1", 1],
  ])('%j → %s', (text, message, position) => {
    expect(errorOf(text)).toEqual({ message, position });
  });
});

describe('parseExpression limits', () => {
  it('rejects an expression longer than maxLength (default 10,000 characters)', () => {
    const long = `x${'+x'.repeat(5000)}`;
    expect(errorOf(long)).toEqual({
      message: 'expression longer than 10000 characters at 10000',
      position: 10000,
    });
    expect(parseExpression(long, { maxLength: 20_000 }).ok).toBe(true);
  });

  it('rejects nesting deeper than maxDepth (default 200), counting parentheses and calls', () => {
    const nested = (depth: number) => `${'('.repeat(depth)}x${')'.repeat(depth)}`;
    expect(parseExpression(nested(200)).ok).toBe(true);
    expect(errorOf(nested(201))).toEqual({ message: 'nesting deeper than 200 at 200', position: 200 });
    expect(errorOf(`${'sin('.repeat(201)}x${')'.repeat(201)}`).message).toBe(
      'nesting deeper than 200 at 803',
    );
    expect(errorOf(nested(11), { maxDepth: 10 }).message).toBe('nesting deeper than 10 at 10');
  });

  it('rejects more than maxNodes parse-tree nodes', () => {
    expect(errorOf('x + x + x', { maxNodes: 4 })).toEqual({
      message: 'expression has more than 4 nodes at 6',
      position: 6,
    });
  });

  it('parses long operator chains without recursion (sums, powers, unary minus)', () => {
    const options = { maxLength: 100_000, maxNodes: 1_000_000 };
    expect(parseExpression(`x${'+x'.repeat(30_000)}`, options).ok).toBe(true);
    expect(parseExpression(`x${'^x'.repeat(30_000)}`, options).ok).toBe(true);
    expect(parseExpression(`${'-'.repeat(60_000)}x`, options).ok).toBe(true);
  });
});
