/**
 * Parser for expression objectives: tokens → typed parse tree ({@link ExpressionNode}).
 *
 * Grammar (precedence climbing; `^` binds tighter than unary minus and is right-associative,
 * so `-x^2` = `-(x^2)` and `2^3^2` = `2^(3^2)`):
 *
 *   sum      := product (('+' | '-') product)*
 *   product  := unary (('*' | '/') unary)*
 *   unary    := ('-' | '+')* power
 *   power    := primary ('^' unary)?
 *   primary  := number | 'pi' | 'e' | variable | function '(' sum (',' sum)* ')' | '(' sum ')'
 *
 * Sums, products, unary chains and `^` chains are parsed with loops and explicit stacks; only
 * parentheses and call arguments recurse, and they are bounded by `maxDepth`, so 5,000-deep
 * parentheses are a clean error and never a stack overflow. {@link parseExpression} never throws.
 */
import {
  type BinaryOperator,
  CONSTANTS,
  type ConstantName,
  type ExpressionNode,
  expressionChildren,
  FUNCTION_ARITY,
  type FunctionName,
} from './ast.ts';
import { missingTimesHint, SyntaxFailure, type Token, Tokenizer } from './tokenizer.ts';

/** Limits and variable order; the defaults are those of API.md. */
export interface ParseOptions {
  /** Fixes the variable order and may name variables that do not occur. Default: sorted free variables. */
  variables?: readonly string[];
  /** Maximum expression length in characters (default 10,000). */
  maxLength?: number;
  /** Maximum nesting of parentheses and calls (default 200). */
  maxDepth?: number;
  /** Maximum number of parse-tree nodes (default 50,000). */
  maxNodes?: number;
}

export const DEFAULT_MAX_LENGTH = 10_000;
export const DEFAULT_MAX_DEPTH = 200;
export const DEFAULT_MAX_NODES = 50_000;

/** Why an expression (or its `variables` list) was rejected. */
export interface ExpressionSyntaxError {
  /** Human-readable, e.g. `unexpected ')' at 14`, `unknown function 'foo' at 0`. */
  message: string;
  /**
   * 0-based character offset in the expression. For an error about the `variables` list it is
   * the first use of the variable concerned, or −1 when the error has no place in the text.
   */
  position: number;
  /**
   * Present when the error concerns the `variables` option: the index of the offending entry,
   * or −1 for the list as a whole (a variable used in the expression is missing from it).
   */
  variableIndex?: number;
}

export type ParseResult =
  | { ok: true; ast: ExpressionNode; variables: string[] }
  | { ok: false; error: ExpressionSyntaxError };

/** Thrown by `createExpressionObjective` (and helpers) for an invalid expression, never at run time. */
export class ExpressionError extends Error {
  readonly position: number;
  readonly variableIndex: number | undefined;

  constructor(error: ExpressionSyntaxError) {
    super(error.message);
    this.name = 'ExpressionError';
    this.position = error.position;
    this.variableIndex = error.variableIndex;
  }
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Names that may not be variables although the grammar would allow them: JS keywords, the
 * globals exploit payloads reach for, and every `Object.prototype` property. None of them could
 * do harm here (names never become code or object keys), but a spec that uses them is an attack
 * or a mistake, and rejecting them keeps that true should the implementation ever change.
 * Any name starting with `__` is reserved as well (`__proto__`, `__defineGetter__`, …).
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  'arguments',
  'async',
  'await',
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'debugger',
  'default',
  'delete',
  'do',
  'else',
  'enum',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'implements',
  'import',
  'in',
  'instanceof',
  'interface',
  'let',
  'new',
  'null',
  'package',
  'private',
  'protected',
  'public',
  'return',
  'static',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'undefined',
  'var',
  'void',
  'while',
  'with',
  'yield',
  'Infinity',
  'NaN',
  'globalThis',
  'global',
  'window',
  'self',
  'document',
  'process',
  'require',
  'module',
  'exports',
  'eval',
  'Function',
  'Object',
  'Array',
  'Math',
  'Reflect',
  'Proxy',
  'Symbol',
  'Promise',
  'prototype',
]);

/** Whether `name` is reserved (see {@link RESERVED_NAMES}). */
export function isReservedName(name: string): boolean {
  return RESERVED_NAMES.has(name) || name.startsWith('__');
}

/**
 * Why `name` cannot be a variable, or null when it can: it must match `[A-Za-z_][A-Za-z0-9_]*`
 * and be neither a function, a constant nor a reserved name.
 */
export function variableNameProblem(name: string): string | null {
  if (!VARIABLE_NAME.test(name)) return `invalid variable name ${JSON.stringify(name.slice(0, 40))}`;
  if (FUNCTION_ARITY.has(name)) return `'${name}' is a function, not a variable`;
  if (CONSTANTS.has(name)) return `'${name}' is a constant, not a variable`;
  if (isReservedName(name)) return `reserved name '${name}'`;
  return null;
}

const FUNCTION_LIST = `functions: ${[...FUNCTION_ARITY.keys()].join(', ')}`;

class Parser {
  private token: Token;
  /** The token before `token` (for hints on what was meant). */
  private previous: Token | null = null;
  private lookahead: Token | null = null;
  private readonly tokenizer: Tokenizer;
  private depth = 0;
  private nodeCount = 0;

  constructor(
    text: string,
    private readonly maxDepth: number,
    private readonly maxNodes: number,
  ) {
    this.tokenizer = new Tokenizer(text);
    this.token = this.tokenizer.next();
  }

  parse(): ExpressionNode {
    const root = this.parseSum();
    if (this.token.kind !== 'end') this.unexpected(this.token);
    return root;
  }

  private advance(): void {
    this.previous = this.token;
    if (this.lookahead !== null) {
      this.token = this.lookahead;
      this.lookahead = null;
    } else {
      this.token = this.tokenizer.next();
    }
  }

  private peek(): Token {
    this.lookahead ??= this.tokenizer.next();
    return this.lookahead;
  }

  private unexpected(token: Token): never {
    if (token.kind === 'end') throw new SyntaxFailure('unexpected end of expression', token.position);
    throw new SyntaxFailure(`unexpected '${token.text.slice(0, 40)}'`, token.position, this.hintFor(token));
  }

  /** What was probably meant: `**` for a power, or a product without its `*` (`100(y…)`, `(a)(b)`). */
  private hintFor(token: Token): string | undefined {
    const previous = this.previous;
    if (previous === null) return undefined;
    if (token.text === '*' && previous.text === '*' && previous.position === token.position - 1)
      return "powers are written with '^': x^2, not x**2";
    if (token.kind === '(' && (previous.kind === 'number' || previous.kind === ')'))
      return missingTimesHint(previous.text.slice(0, 40), '(');
    return undefined;
  }

  private countNode(position: number): void {
    if (++this.nodeCount > this.maxNodes) {
      throw new SyntaxFailure(`expression has more than ${this.maxNodes} nodes`, position);
    }
  }

  private binary(operator: BinaryOperator, left: ExpressionNode, right: ExpressionNode, position: number) {
    this.countNode(position);
    return { kind: 'binary', operator, left, right, position } as const;
  }

  private isOperator(text: string): boolean {
    return this.token.kind === 'operator' && this.token.text === text;
  }

  private parseSum(): ExpressionNode {
    let left = this.parseProduct();
    while (this.isOperator('+') || this.isOperator('-')) {
      const { text, position } = this.token;
      this.advance();
      left = this.binary(text as BinaryOperator, left, this.parseProduct(), position);
    }
    return left;
  }

  private parseProduct(): ExpressionNode {
    let left = this.parseUnaryPower();
    while (this.isOperator('*') || this.isOperator('/')) {
      const { text, position } = this.token;
      this.advance();
      left = this.binary(text as BinaryOperator, left, this.parseUnaryPower(), position);
    }
    return left;
  }

  /**
   * `unary := ('-'|'+')* primary ('^' unary)?` without recursion: each `sign* base ^` segment is
   * pushed on a stack, then the chain is folded from the right, so `-a^-b^c` = `-(a^(-(b^c)))`.
   */
  private parseUnaryPower(): ExpressionNode {
    const segments: { negations: number[]; base: ExpressionNode; caret: number }[] = [];
    let result: ExpressionNode;
    for (;;) {
      const negations: number[] = [];
      while (this.isOperator('-') || this.isOperator('+')) {
        if (this.token.text === '-') negations.push(this.token.position);
        this.advance();
      }
      const base = this.parsePrimary();
      if (this.isOperator('^')) {
        segments.push({ negations, base, caret: this.token.position });
        this.advance();
        continue;
      }
      result = this.negate(negations, base);
      break;
    }
    for (let k = segments.length - 1; k >= 0; k--) {
      const { negations, base, caret } = segments[k]!;
      result = this.negate(negations, this.binary('^', base, result, caret));
    }
    return result;
  }

  private negate(negations: readonly number[], operand: ExpressionNode): ExpressionNode {
    for (let k = negations.length - 1; k >= 0; k--) {
      const position = negations[k]!;
      this.countNode(position);
      operand = { kind: 'negate', operand, position };
    }
    return operand;
  }

  private enter(position: number): void {
    if (++this.depth > this.maxDepth) {
      throw new SyntaxFailure(`nesting deeper than ${this.maxDepth}`, position);
    }
  }

  private expectClose(open: Token): void {
    if (this.token.kind === ')') {
      this.advance();
      this.depth--;
      return;
    }
    if (this.token.kind === 'end') {
      throw new SyntaxFailure(`unclosed '('`, open.position);
    }
    this.unexpected(this.token);
  }

  private parsePrimary(): ExpressionNode {
    const token = this.token;
    switch (token.kind) {
      case 'number':
        this.advance();
        this.countNode(token.position);
        return { kind: 'number', value: token.value, position: token.position };
      case '(': {
        this.enter(token.position);
        this.advance();
        const inner = this.parseSum();
        this.expectClose(token);
        return inner;
      }
      case 'identifier':
        return this.parseIdentifier(token);
      default:
        return this.unexpected(token);
    }
  }

  private parseIdentifier(token: Token): ExpressionNode {
    const name = token.text;
    const position = token.position;
    if (this.peek().kind === '(') {
      const arity = FUNCTION_ARITY.get(name);
      if (arity === undefined) {
        // `x(y + 1)`, `pi(…)`: a short name reads as a variable times a parenthesis.
        const hint = name.length <= 2 ? missingTimesHint(name, '(') : FUNCTION_LIST;
        throw new SyntaxFailure(`unknown function '${name.slice(0, 40)}'`, position, hint);
      }
      this.advance();
      const open = this.token;
      this.enter(open.position);
      this.advance();
      const args: ExpressionNode[] = [];
      if (this.token.kind !== ')') {
        args.push(this.parseSum());
        while (this.token.kind === ',') {
          this.advance();
          args.push(this.parseSum());
        }
      }
      this.expectClose(open);
      if (args.length !== arity) {
        const plural = arity === 1 ? 'argument' : 'arguments';
        throw new SyntaxFailure(`expected ${arity} ${plural} for '${name}'`, position);
      }
      this.countNode(position);
      return { kind: 'call', name: name as FunctionName, args, position };
    }
    this.advance();
    if (CONSTANTS.has(name)) {
      this.countNode(position);
      return { kind: 'constant', name: name as ConstantName, position };
    }
    if (FUNCTION_ARITY.has(name))
      throw new SyntaxFailure(`expected '(' after '${name}'`, position + name.length);
    if (isReservedName(name)) throw new SyntaxFailure(`reserved name '${name.slice(0, 40)}'`, position);
    this.countNode(position);
    return { kind: 'variable', name, position };
  }
}

/** First position of every variable in the tree, in order of first appearance. Iterative. */
function collectVariables(root: ExpressionNode): Map<string, number> {
  const found = new Map<string, number>();
  const stack: ExpressionNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.kind === 'variable') {
      const previous = found.get(node.name);
      if (previous === undefined || node.position < previous) found.set(node.name, node.position);
    }
    const children = expressionChildren(node);
    for (let k = children.length - 1; k >= 0; k--) stack.push(children[k]!);
  }
  return found;
}

function resolveVariables(
  used: Map<string, number>,
  listed: readonly string[] | undefined,
): { ok: true; variables: string[] } | { ok: false; error: ExpressionSyntaxError } {
  if (listed === undefined) {
    const variables = [...used.keys()].sort();
    if (variables.length === 0) {
      return { ok: false, error: { message: 'expression has no variables at 0', position: 0 } };
    }
    return { ok: true, variables };
  }
  const seen = new Set<string>();
  for (let k = 0; k < listed.length; k++) {
    const name = listed[k];
    if (typeof name !== 'string') {
      return {
        ok: false,
        error: { message: `variables[${k}] is not a string`, position: -1, variableIndex: k },
      };
    }
    const problem = variableNameProblem(name);
    const position = used.get(name) ?? -1;
    if (problem !== null) {
      return { ok: false, error: { message: `${problem} in variables[${k}]`, position, variableIndex: k } };
    }
    if (seen.has(name)) {
      return {
        ok: false,
        error: { message: `duplicate variable '${name}' in variables[${k}]`, position, variableIndex: k },
      };
    }
    seen.add(name);
  }
  for (const [name, position] of used) {
    if (!seen.has(name)) {
      return {
        ok: false,
        error: {
          message: `unknown variable '${name}' at ${position}: it is not in variables`,
          position,
          variableIndex: -1,
        },
      };
    }
  }
  if (listed.length === 0) {
    return { ok: false, error: { message: 'variables is empty', position: -1, variableIndex: -1 } };
  }
  return { ok: true, variables: [...listed] };
}

/**
 * Parses `text` into a typed parse tree and resolves its variable order.
 * Never throws: every failure, including an exhausted stack, is an `{ ok: false, error }` result.
 */
export function parseExpression(text: string, options: ParseOptions = {}): ParseResult {
  try {
    const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
    const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    const maxNodes = options.maxNodes ?? DEFAULT_MAX_NODES;
    if (typeof text !== 'string') {
      return { ok: false, error: { message: 'expression must be a string at 0', position: 0 } };
    }
    if (text.length > maxLength) {
      return {
        ok: false,
        error: {
          message: `expression longer than ${maxLength} characters at ${maxLength}`,
          position: maxLength,
        },
      };
    }
    const ast = new Parser(text, maxDepth, maxNodes).parse();
    const resolved = resolveVariables(collectVariables(ast), options.variables);
    if (!resolved.ok) return resolved;
    return { ok: true, ast, variables: resolved.variables };
  } catch (error) {
    if (error instanceof SyntaxFailure) {
      return { ok: false, error: { message: error.message, position: error.position } };
    }
    // Only reachable with a maxDepth far above the default (the stack runs out first) or a bug.
    const reason =
      error instanceof RangeError ? 'expression too deeply nested' : 'expression could not be parsed';
    return { ok: false, error: { message: `${reason} at 0`, position: 0 } };
  }
}
