/**
 * Code generation: straight-line JavaScript built from DAG nodes only, never from user text.
 *
 * The generated body consists of exactly these tokens:
 * - `const tN = …;` temporaries, one per distinct non-constant node (so every shared
 *   subexpression is computed once), read in topological order;
 * - variable reads `x[i]`, outputs `g[i] = …;`, `h[k] = …;`, `return …;`;
 * - numeric literals from {@link formatNumber} (digits, `.`, `e`, sign; NaN as `(0/0)`,
 *   ±∞ as `(±1/0)`, −0 as `(-0)`);
 * - the operators `+ - * / <= ? :`, parentheses, commas;
 * - `Math.<name>` for the whitelisted functions of {@link MATH_FUNCTIONS}.
 *
 * {@link SAFE_SOURCE} states that grammar as a regular expression; {@link compileFunction} checks
 * every body against it before `new Function` ever sees it, and the tests review it again.
 */
import { type GraphNode, reachableNodes, UNARY_FUNCTIONS } from './ast.ts';

/** The `Math.*` functions generated code may call. */
export const MATH_FUNCTIONS: readonly string[] = [...UNARY_FUNCTIONS, 'pow', 'min', 'max', 'sign'];

const NUMBER = String.raw`\d+(?:\.\d+)?(?:e[+-]\d+)?`;
const TOKEN = [
  String.raw`\s+`,
  String.raw`const\b`,
  String.raw`return\b`,
  String.raw`t\d+\b`,
  String.raw`[xgh]\[\d+\]`,
  String.raw`Math\.(?:${MATH_FUNCTIONS.join('|')})\b`,
  NUMBER,
  String.raw`<=`,
  String.raw`[-+*/=;(),?:]`,
].join('|');

/** Every generated body matches this: a sequence of whitelisted tokens and nothing else. */
export const SAFE_SOURCE = new RegExp(`^(?:${TOKEN})*$`);

/**
 * A JS literal for `value` that evaluates to exactly `value` (String(v) round-trips every double).
 * Negative numbers are parenthesised so that `a - (-2)` never becomes `a --2`.
 */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return '(0/0)';
  if (value === Number.POSITIVE_INFINITY) return '(1/0)';
  if (value === Number.NEGATIVE_INFINITY) return '(-1/0)';
  if (Object.is(value, -0)) return '(-0)';
  if (value < 0) return `(-${String(-value)})`;
  return String(value);
}

/** Where an output goes: the return value, or an element of the `g` or `h` argument. */
export type OutputTarget = { kind: 'return' } | { kind: 'g' | 'h'; index: number };

export interface Output {
  target: OutputTarget;
  node: GraphNode;
}

function reference(node: GraphNode): string {
  return node.op === 'constant' ? formatNumber(node.value) : `t${node.id}`;
}

function expressionOf(node: GraphNode): string {
  const [a, b, p, q] = node.args.map(reference) as [string, string, string, string];
  switch (node.op) {
    case 'variable':
      return `x[${node.index}]`;
    case 'add':
      return `${a} + ${b}`;
    case 'subtract':
      return `${a} - ${b}`;
    case 'multiply':
      return `${a} * ${b}`;
    case 'divide':
      return `${a} / ${b}`;
    case 'negate':
      return `-${a}`;
    case 'pow':
      // x*x is exact and faster than Math.pow(x, 2); the same rule is in applyOp.
      return node.args[1]!.op === 'constant' && node.args[1]!.value === 2 ? `${a} * ${a}` : `Math.pow(${a}, ${b})`;
    case 'min':
    case 'max':
      return `Math.${node.op}(${a}, ${b})`;
    case 'select':
      return `${a} <= ${b} ? ${p} : ${q}`;
    case 'constant':
      throw new Error('expressionOf: constants are inlined');
    default:
      return `Math.${node.op}(${a})`;
  }
}

/** The straight-line body computing `outputs`; each distinct node is computed once. */
export function generateBody(outputs: readonly Output[]): string {
  const lines: string[] = [];
  for (const node of reachableNodes(outputs.map((output) => output.node))) {
    if (node.op !== 'constant') lines.push(`const t${node.id} = ${expressionOf(node)};`);
  }
  let returned: string | null = null;
  for (const { target, node } of outputs) {
    if (target.kind === 'return') returned = reference(node);
    else lines.push(`${target.kind}[${target.index}] = ${reference(node)};`);
  }
  if (returned !== null) lines.push(`return ${returned};`);
  return lines.join('\n');
}

/**
 * Turns a generated body into a function of `parameters` (from `x`, `g`, `h`).
 * Refuses any body outside {@link SAFE_SOURCE}: that would be a bug in this module.
 */
export function compileFunction<F>(parameters: readonly ('x' | 'g' | 'h')[], body: string): F {
  if (!SAFE_SOURCE.test(body)) throw new Error('compileFunction: generated source outside the safe token set');
  return new Function(...parameters, body) as F;
}
