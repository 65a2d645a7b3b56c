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
 * template strings, member access, assignment, statement separators. Every one must be rejected.
 */
const HOSTILE: readonly string[] = [
  'constructor',
  '__proto__',
  'prototype',
  'x.constructor',
  'x.__proto__',
  '__proto__.polluted = 1',
  'x.__proto__.polluted = 1',
  'constructor.prototype.polluted = 1',
  'constructor.constructor("return process")()',
  "constructor.constructor('return this')()",
  'sin.constructor("return process")()',
  'cos.constructor("console.log(process.env)")()',
  'sin.call(null, 1)',
  'exp.apply(x, [1])',
  '[].map.constructor("return this")()',
  '"".toString.constructor("return this")()',
  '(1).constructor',
  'x.toString()',
  'this',
  'this.constructor.constructor("return process")()',
  'process',
  'process.exit()',
  'process.mainModule.require("child_process").execSync("id")',
  "require('fs')",
  "require('child_process').execSync('id')",
  "import('fs')",
  'import.meta',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the payload is the template string itself
  '`${x}`',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the payload is the template string itself
  'x + `${process.exit()}`',
  'x.y',
  'x[0]',
  "x['constructor']",
  'x = 1',
  'x == 1',
  'x; y',
  'x;',
  'x\n;y',
  "Function('return 1')()",
  'new Function("return 1")()',
  'eval("1")',
  'globalThis',
  'globalThis.process',
  'x=>x',
  '() => 1',
  'function () { return 1 }',
  '"a"',
  "'a'",
  'a,b',
  'toString()',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  '__defineGetter__',
  '__lookupSetter__',
  'typeof x',
  'delete x',
  'void 0',
  'x ? y : z',
  'x || y',
  'x && y',
  '!x',
  '~x',
  'x % 2',
  'x ** 2',
  'x++',
  'x?.y',
  'x ?? y',
  '{}',
  '{ a: 1 }',
  '[1, 2]',
  '/* comment */ x',
  '// comment\nx',
  '\\u0063onstructor',
  'x\\u002ey',
  '$x',
  '#x',
  '@x',
  'sin(constructor)',
  'pow(x, __proto__)',
  'min(x, this)',
  'Math.PI',
  'Math',
  'Reflect',
  'window.alert(1)',
  'x\u2028y',
  'x\u0000',
  'x = {}; x.__proto__.polluted = 1',
  'f(x) = x; f.constructor("return this")()',
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

  it.each(HOSTILE.map((text) => [text]))('rejects %j', (text) => {
    const result = parseExpression(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toMatch(/ at \d+$/);
    expect(result.error.position).toBeGreaterThanOrEqual(0);
    expect(result.error.position).toBeLessThanOrEqual(text.length);
    expect(() => createExpressionObjective({ expression: text })).toThrow(ExpressionError);
    expect(expressionObjectiveSchema.safeParse({ type: 'expression', expression: text }).success).toBe(false);
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
