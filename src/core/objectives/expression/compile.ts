/**
 * Code generation: straight-line JavaScript built from DAG nodes only, never from user text.
 *
 * The generated body consists of exactly these parts:
 * - `const tN = …;` temporaries, one per distinct non-constant node (so every shared
 *   subexpression is computed once), in topological order, each one operation;
 * - variable reads `x[i]`, outputs `g[i] = …;`, `h[k] = …;`, `return …;`;
 * - numeric literals from {@link formatNumber} (digits, `.`, `e`, sign; NaN as `(0/0)`,
 *   ±∞ as `(±1/0)`, −0 as `(-0)`);
 * - the operators `+ - * / <= ? :`, parentheses, commas;
 * - `Math.<name>` for the grammar's functions plus `Math.sign` (abs') — nothing else of `Math`.
 *
 * {@link SAFE_LINE} states that grammar, statement by statement, as a regular expression;
 * {@link compileFunction} checks every body against it before `new Function` ever sees it, and the
 * tests review it again with a token list of their own.
 */
import { type GraphNode, reachableNodes, UNARY_FUNCTIONS } from './ast.ts';

const UNSIGNED = String.raw`\d+(?:\.\d+)?(?:e[+-]\d+)?`;
/** What {@link formatNumber} writes: an unsigned literal, or a parenthesised negative, NaN, ±∞, −0. */
const LITERAL = String.raw`${UNSIGNED}|\(-${UNSIGNED}\)|\(0/0\)|\(-?1/0\)|\(-0\)`;
const OPERAND = String.raw`(?:t\d+|${LITERAL})`;
const ONE_ARGUMENT = UNARY_FUNCTIONS.join('|');
const EXPRESSION = [
  String.raw`x\[\d+\]`,
  `${OPERAND} [-+*/] ${OPERAND}`,
  `-${OPERAND}`,
  String.raw`Math\.(?:${ONE_ARGUMENT}|sign)\(${OPERAND}\)`,
  String.raw`Math\.(?:pow|min|max)\(${OPERAND}, ${OPERAND}\)`,
  String.raw`${OPERAND} <= ${OPERAND} \? ${OPERAND} : ${OPERAND}`,
].join('|');

/**
 * Every line of a generated body matches this: `const tN = <expression>;`, `g[i] = <operand>;`,
 * `h[i] = <operand>;` or `return <operand>;`, where an expression is one operation on
 * temporaries and literals (or a read `x[i]`).
 */
export const SAFE_LINE = new RegExp(
  String.raw`^(?:const t\d+ = (?:${EXPRESSION});|[gh]\[\d+\] = ${OPERAND};|return ${OPERAND};)$`,
);

/** Whether every line of `body` matches {@link SAFE_LINE}. */
export function isSafeSource(body: string): boolean {
  return body.split('\n').every((line) => SAFE_LINE.test(line));
}

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
      return node.args[1]!.op === 'constant' && node.args[1]!.value === 2
        ? `${a} * ${a}`
        : `Math.pow(${a}, ${b})`;
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
 * Refuses any body outside {@link SAFE_LINE}: that would be a bug in this module.
 */
export function compileFunction<F>(parameters: readonly ('x' | 'g' | 'h')[], body: string): F {
  if (!isSafeSource(body)) throw new Error('compileFunction: generated source outside the safe token set');
  return new Function(...parameters, body) as F;
}
