import { describe, expect, it } from 'vitest';
import {
  createExpressionObjectiveSchema,
  expressionDim,
  expressionObjectiveSchema,
  expressionVariables,
} from '../../../../src/schemas/expression-objective.ts';

function issuesOf(input: unknown, schema = expressionObjectiveSchema) {
  const result = schema.safeParse(input);
  expect(result.success).toBe(false);
  return result.error!.issues.map((issue) => ({ path: issue.path, message: issue.message }));
}

describe('expressionObjectiveSchema', () => {
  it('accepts a valid spec unchanged', () => {
    const spec = { type: 'expression', expression: '(1-x)^2 + 100*(y-x^2)^2', variables: ['x', 'y'] };
    expect(expressionObjectiveSchema.parse(spec)).toEqual(spec);
    expect(expressionObjectiveSchema.parse({ type: 'expression', expression: 'x' })).toEqual({
      type: 'expression',
      expression: 'x',
    });
  });

  it("reports a syntax error at ['expression'] with the parser's message and position", () => {
    const result = expressionObjectiveSchema.safeParse({ type: 'expression', expression: '(1-x)^2 + 100*)' });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['expression'],
        message: "unexpected ')' at 14",
        params: { position: 14, source: '(1-x)^2 + 100*)', marker: '              ^' },
      }),
    ]);
    expect(issuesOf({ type: 'expression', expression: 'foo(x)' })).toEqual([
      {
        path: ['expression'],
        message:
          "unknown function 'foo' at 0 (functions: sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, atan, asin, acos, min, max, pow)",
      },
    ]);
  });

  it('puts a caret under the error: source and marker line up, around the place in a long expression', () => {
    const paramsOf = (expression: string) =>
      expressionObjectiveSchema.safeParse({ type: 'expression', expression }).error?.issues[0] as unknown as {
        message: string;
        params: { position: number; source: string; marker: string };
      };
    const product = paramsOf('100(y - x^2)^2');
    expect(product.message).toBe("unexpected '(' at 3 (missing '*'? write 100*( to multiply)");
    expect(product.params).toEqual({ position: 3, source: '100(y - x^2)^2', marker: '   ^' });
    // Newlines and tabs show as spaces, so the caret stays under its character.
    expect(paramsOf('x +\n\ty**2').params).toEqual({ position: 7, source: 'x +  y**2', marker: '       ^' });
    // At the end of the text the caret is one past the last character.
    expect(paramsOf('x^2 + sin(').params).toEqual({
      position: 10,
      source: 'x^2 + sin(',
      marker: '          ^',
    });
    const long = `${'x + '.repeat(50)}(y`;
    const unclosed = paramsOf(long);
    expect(unclosed.params.position).toBe(200);
    expect(unclosed.params.source).toBe(`…${long.slice(170)}`);
    expect(unclosed.params.marker).toBe(`${' '.repeat(31)}^`);
    expect(unclosed.params.source[unclosed.params.marker.length - 1]).toBe('(');
  });

  it("reports a bad variables entry at ['variables', k] and a missing one at ['variables']", () => {
    expect(issuesOf({ type: 'expression', expression: 'x + y', variables: ['x', 'y', 'y'] })).toEqual([
      { path: ['variables', 2], message: "duplicate variable 'y' in variables[2]" },
    ]);
    expect(issuesOf({ type: 'expression', expression: 'x + y', variables: ['x'] })).toEqual([
      { path: ['variables'], message: "unknown variable 'y' at 4: it is not in variables" },
    ]);
  });

  it('rejects unknown fields and wrong types', () => {
    expect(issuesOf({ type: 'expression', expression: 'x', extra: 1 })[0]?.path).toEqual([]);
    expect(issuesOf({ type: 'expression', expression: 42 })[0]?.path).toEqual(['expression']);
    expect(issuesOf({ type: 'expression', expression: 'x', variables: [1] })[0]?.path).toEqual([
      'variables',
      0,
    ]);
  });

  it('applies configured limits', () => {
    const strict = createExpressionObjectiveSchema({ maxExpressionLength: 20, maxDepth: 2 });
    expect(issuesOf({ type: 'expression', expression: '(((x)))' }, strict)).toEqual([
      { path: ['expression'], message: 'nesting deeper than 2 at 2' },
    ]);
    expect(issuesOf({ type: 'expression', expression: `${'x+'.repeat(10)}x` }, strict)).toEqual([
      { path: ['expression'], message: 'expression longer than 20 characters at 20' },
    ]);
    const lenient = createExpressionObjectiveSchema({ maxExpressionLength: 50_000, maxDepth: 500 });
    expect(
      lenient.safeParse({ type: 'expression', expression: `${'('.repeat(300)}x${')'.repeat(300)}` }).success,
    ).toBe(true);
  });
});

describe('expressionVariables and expressionDim', () => {
  it('give the variable order and the dimension of a spec', () => {
    expect(expressionVariables({ expression: 'y*x + b' })).toEqual(['b', 'x', 'y']);
    expect(expressionVariables({ expression: 'y*x', variables: ['y', 'x', 'z'] })).toEqual(['y', 'x', 'z']);
    expect(expressionDim({ expression: 'y*x', variables: ['y', 'x', 'z'] })).toBe(3);
  });

  it('accept a spec validated under raised limits', () => {
    const deep = `${'('.repeat(300)}x${')'.repeat(300)}`;
    expect(expressionDim({ expression: deep })).toBe(1);
    expect(expressionDim({ expression: `x${'+x'.repeat(10_000)}` })).toBe(1);
  });
});
