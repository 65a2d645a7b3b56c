import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createExpressionObjective,
  ExpressionError,
  parseExpression,
} from '../../../../src/core/objectives/expression/index.ts';
import { expressionObjectiveSchema } from '../../../../src/schemas/expression-objective.ts';

/**
 * Payloads that break JS expression evaluators (expr-eval CVE-2025-12735 / GHSA-jc85-fpwf-qm7x,
 * mathjs CVE-2017-1001002 / CVE-2017-1001003, static-eval, safe-eval, vm2-style escapes): prototype
 * pollution through `constructor`/`__proto__`, reaching `this`/`process`/`require`/`import`,
 * template strings, member access, assignment, statement separators. Every one must be rejected,
 * with the message and position that name the first character or name outside the grammar.
 */
const HOSTILE: readonly [text: string, message: string][] = [
  ['constructor', "reserved name 'constructor' at 0"],
  ['__proto__', "reserved name '__proto__' at 0"],
  ['prototype', "reserved name 'prototype' at 0"],
  ['x.constructor', "unexpected character '.' at 1"],
  ['x.__proto__', "unexpected character '.' at 1"],
  ['__proto__.polluted = 1', "unexpected character '.' at 9"],
  ['x.__proto__.polluted = 1', "unexpected character '.' at 1"],
  ['constructor.prototype.polluted = 1', "unexpected character '.' at 11"],
  ['constructor.constructor("return process")()', "unexpected character '.' at 11"],
  ["constructor.constructor('return this')()", "unexpected character '.' at 11"],
  ['sin.constructor("return process")()', "unexpected character '.' at 3"],
  ['cos.constructor("console.log(process.env)")()', "unexpected character '.' at 3"],
  ['sin.call(null, 1)', "unexpected character '.' at 3"],
  ['exp.apply(x, [1])', "unexpected character '.' at 3"],
  ['[].map.constructor("return this")()', "unexpected character '[' at 0"],
  ['"".toString.constructor("return this")()', "unexpected character '\"' at 0"],
  ['(1).constructor', "unexpected character '.' at 3"],
  ['x.toString()', "unexpected character '.' at 1"],
  ['this', "reserved name 'this' at 0"],
  ['this.constructor.constructor("return process")()', "unexpected character '.' at 4"],
  ['process', "reserved name 'process' at 0"],
  ['process.exit()', "unexpected character '.' at 7"],
  ['process.mainModule.require("child_process").execSync("id")', "unexpected character '.' at 7"],
  [
    "require('fs')",
    "unknown function 'require' at 0 (functions: sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, atan, asin, acos, min, max, pow)",
  ],
  [
    "require('child_process').execSync('id')",
    "unknown function 'require' at 0 (functions: sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, atan, asin, acos, min, max, pow)",
  ],
  [
    "import('fs')",
    "unknown function 'import' at 0 (functions: sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, atan, asin, acos, min, max, pow)",
  ],
  ['import.meta', "unexpected character '.' at 6"],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the payload is the template string itself
  ['`${x}`', "unexpected character '`' at 0"],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the payload is the template string itself
  ['x + `${process.exit()}`', "unexpected character '`' at 4"],
  ['x.y', "unexpected character '.' at 1"],
  ['x[0]', "unexpected character '[' at 1"],
  ["x['constructor']", "unexpected character '[' at 1"],
  ['x = 1', "unexpected character '=' at 2"],
  ['x == 1', "unexpected character '=' at 2"],
  ['x; y', "unexpected character ';' at 1"],
  ['x;', "unexpected character ';' at 1"],
  ['x\n;y', "unexpected character ';' at 2"],
  [
    "Function('return 1')()",
    "unknown function 'Function' at 0 (functions: sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, atan, asin, acos, min, max, pow)",
  ],
  ['new Function("return 1")()', "reserved name 'new' at 0"],
  [
    'eval("1")',
    "unknown function 'eval' at 0 (functions: sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, atan, asin, acos, min, max, pow)",
  ],
  ['globalThis', "reserved name 'globalThis' at 0"],
  ['globalThis.process', "unexpected character '.' at 10"],
  ['x=>x', "unexpected character '=' at 1"],
  ['() => 1', "unexpected ')' at 1"],
  [
    'function () { return 1 }',
    "unknown function 'function' at 0 (functions: sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, atan, asin, acos, min, max, pow)",
  ],
  ['"a"', "unexpected character '\"' at 0"],
  ["'a'", "unexpected character ''' at 0"],
  ['a,b', "unexpected ',' at 1"],
  [
    'toString()',
    "unknown function 'toString' at 0 (functions: sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, atan, asin, acos, min, max, pow)",
  ],
  ['toString', "reserved name 'toString' at 0"],
  ['valueOf', "reserved name 'valueOf' at 0"],
  ['hasOwnProperty', "reserved name 'hasOwnProperty' at 0"],
  ['isPrototypeOf', "reserved name 'isPrototypeOf' at 0"],
  ['__defineGetter__', "reserved name '__defineGetter__' at 0"],
  ['__lookupSetter__', "reserved name '__lookupSetter__' at 0"],
  ['typeof x', "reserved name 'typeof' at 0"],
  ['delete x', "reserved name 'delete' at 0"],
  ['void 0', "reserved name 'void' at 0"],
  ['x ? y : z', "unexpected character '?' at 2"],
  ['x || y', "unexpected character '|' at 2"],
  ['x && y', "unexpected character '&' at 2"],
  ['!x', "unexpected character '!' at 0"],
  ['~x', "unexpected character '~' at 0"],
  ['x % 2', "unexpected character '%' at 2"],
  ['x ** 2', "unexpected '*' at 3 (powers are written with '^': x^2, not x**2)"],
  ['x++', 'unexpected end of expression at 3'],
  ['x?.y', "unexpected character '?' at 1"],
  ['x ?? y', "unexpected character '?' at 2"],
  ['{}', "unexpected character '{' at 0"],
  ['{ a: 1 }', "unexpected character '{' at 0"],
  ['[1, 2]', "unexpected character '[' at 0"],
  ['/* comment */ x', "unexpected '/' at 0"],
  ['// comment\nx', "unexpected '/' at 0"],
  ['\\u0063onstructor', "unexpected character '\\' at 0"],
  ['x\\u002ey', "unexpected character '\\' at 1"],
  ['$x', "unexpected character '$' at 0"],
  ['#x', "unexpected character '#' at 0"],
  ['@x', "unexpected character '@' at 0"],
  ['sin(constructor)', "reserved name 'constructor' at 4"],
  ['pow(x, __proto__)', "reserved name '__proto__' at 7"],
  ['min(x, this)', "reserved name 'this' at 7"],
  ['Math.PI', "unexpected character '.' at 4"],
  ['Math', "reserved name 'Math' at 0"],
  ['Reflect', "reserved name 'Reflect' at 0"],
  ['window.alert(1)', "unexpected character '.' at 6"],
  ['x\u2028y', 'unexpected character U+2028 at 1'],
  ['x\u0000', 'unexpected character U+0000 at 1'],
  ['x = {}; x.__proto__.polluted = 1', "unexpected character '=' at 2"],
  [
    'f(x) = x; f.constructor("return this")()',
    "unknown function 'f' at 0 (missing '*'? write f*( to multiply)",
  ],
];

/** Snapshot of every key on the prototypes an evaluator escape would touch. */
function prototypeKeys(): Record<string, string[]> {
  return {
    object: Reflect.ownKeys(Object.prototype).map(String).sort(),
    function: Reflect.ownKeys(Function.prototype).map(String).sort(),
    array: Reflect.ownKeys(Array.prototype).map(String).sort(),
    string: Reflect.ownKeys(String.prototype).map(String).sort(),
    number: Reflect.ownKeys(Number.prototype).map(String).sort(),
  };
}

describe('hostile expressions', () => {
  let before: Record<string, string[]>;
  beforeAll(() => {
    before = prototypeKeys();
  });
  afterAll(() => {
    // Checked once more after everything else in this file ran, including the objective builds.
    expect(prototypeKeys()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(HOSTILE)('rejects %j: %s', (text, message) => {
    const position = Number(/ at (\d+)( \(.*\))?$/.exec(message)?.[1]);
    expect(parseExpression(text)).toEqual({ ok: false, error: { message, position } });
    expect(() => createExpressionObjective({ expression: text })).toThrow(
      new ExpressionError({ message, position }),
    );
    const issues = expressionObjectiveSchema.safeParse({ type: 'expression', expression: text }).error
      ?.issues;
    expect(issues?.map((issue) => [issue.path, issue.message])).toEqual([[['expression'], message]]);
  });

  it('rejects hostile names in `variables`', () => {
    for (const name of [
      'constructor',
      '__proto__',
      'toString',
      'this',
      'process',
      'x.y',
      'x[0]',
      'a b',
      '',
    ]) {
      const result = parseExpression('x', { variables: ['x', name] });
      expect(result.ok, name).toBe(false);
      const spec = { type: 'expression', expression: 'x', variables: ['x', name] };
      const parsed = expressionObjectiveSchema.safeParse(spec);
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['variables', 1]);
    }
  });

  it('rejects 5,000-deep parentheses with a clean error, not a stack overflow', () => {
    const text = `${'('.repeat(5000)}x${')'.repeat(5000)}`;
    expect(parseExpression(text, { maxLength: 20_000 })).toEqual({
      ok: false,
      error: { message: 'nesting deeper than 200 at 200', position: 200 },
    });
    // Even with the length and depth limits lifted, the parser fails cleanly.
    const unlimited = parseExpression(`${'('.repeat(100_000)}x${')'.repeat(100_000)}`, {
      maxLength: Number.POSITIVE_INFINITY,
      maxDepth: Number.POSITIVE_INFINITY,
    });
    expect(unlimited.ok).toBe(false);
    expect(() => createExpressionObjective({ expression: text })).toThrow('nesting deeper than 1000 at 1000');
    expect(parseExpression(text).ok).toBe(false);
    expect(() => createExpressionObjective({ expression: text }, { maxDepth: 200 })).toThrow(
      'nesting deeper than 200 at 200',
    );
  });

  it('rejects 5,000-deep function calls', () => {
    const text = `${'sin('.repeat(5000)}x${')'.repeat(5000)}`;
    expect(parseExpression(text, { maxLength: 100_000 }).ok).toBe(false);
  });

  it('rejects a 100 kB expression before reading it', () => {
    const text = `x${'+x'.repeat(50_000)}`;
    expect(text.length).toBeGreaterThan(100_000);
    expect(parseExpression(text)).toEqual({
      ok: false,
      error: { message: 'expression longer than 10000 characters at 10000', position: 10_000 },
    });
    const issues = expressionObjectiveSchema.safeParse({ type: 'expression', expression: text }).error
      ?.issues;
    expect(issues?.map((issue) => [issue.path, issue.message])).toEqual([
      [['expression'], 'expression longer than 10000 characters at 10000'],
    ]);
  });

  it('builds objectives for 10,000-character chains without overflowing the stack', () => {
    const chains = [
      `x${'+y'.repeat(4999)}`,
      `x${'*y'.repeat(4999)}`,
      `x${'^y'.repeat(4999)}`,
      `${'-'.repeat(9999)}x`,
      `x${'-sin(y)'.repeat(1000)}`,
    ];
    for (const expression of chains) {
      expect(expression.length).toBeLessThanOrEqual(10_000);
      const objective = createExpressionObjective({ expression }, { maxLength: 10_000, maxDepth: 200 });
      const g = new Float64Array(objective.dim);
      expect(() => objective.valueAndGradient(new Float64Array(objective.dim).fill(0.5), g)).not.toThrow();
    }
  });

  it('never copies user text into generated code', () => {
    const objective = createExpressionObjective({ expression: 'alert_me * process_x + require_y^2' });
    const sources = [objective.source.value, objective.source.valueAndGradient, objective.source.hessian!];
    for (const source of sources) {
      expect(source).not.toMatch(/alert|process|require/);
    }
  });

  it('leaves the prototypes untouched after all of the above', () => {
    expect(prototypeKeys()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });
});
