/**
 * The two representations of an expression objective:
 *
 * - {@link ExpressionNode}: the typed parse tree the parser returns, one node per source construct,
 *   each with the character position it starts at (for error messages and printing).
 * - {@link GraphNode}: the hash-consed DAG that simplification, differentiation and code generation
 *   work on. Equal subexpressions are one node, so a shared subexpression is computed once.
 *
 * Every lookup by a user-supplied name goes through a `Map`/`Set`, never a plain object, so names
 * such as `constructor` or `__proto__` can never reach `Object.prototype`.
 */

/** Functions of one argument, each a `Math.*` function of the same name. */
export const UNARY_FUNCTIONS = [
  'sin',
  'cos',
  'tan',
  'exp',
  'log',
  'sqrt',
  'abs',
  'tanh',
  'sinh',
  'cosh',
  'atan',
  'asin',
  'acos',
] as const;
export type UnaryFunctionName = (typeof UNARY_FUNCTIONS)[number];

/** Functions of two arguments: `min(a, b)`, `max(a, b)` and `pow(a, b)` (= `a ^ b`). */
export const BINARY_FUNCTIONS = ['min', 'max', 'pow'] as const;
export type BinaryFunctionName = (typeof BINARY_FUNCTIONS)[number];

export type FunctionName = UnaryFunctionName | BinaryFunctionName;

/** Arity of every function the grammar accepts. */
export const FUNCTION_ARITY: ReadonlyMap<string, number> = new Map<string, number>([
  ...UNARY_FUNCTIONS.map((name) => [name, 1] as const),
  ...BINARY_FUNCTIONS.map((name) => [name, 2] as const),
]);

export type ConstantName = 'pi' | 'e';

/** Named constants: `pi` = π, `e` = Euler's number. */
export const CONSTANTS: ReadonlyMap<string, number> = new Map<string, number>([
  ['pi', Math.PI],
  ['e', Math.E],
]);

export type BinaryOperator = '+' | '-' | '*' | '/' | '^';

/** A number literal; always finite and non-negative (a leading `-` is a {@link NegateNode}). */
export interface NumberNode {
  readonly kind: 'number';
  readonly value: number;
  readonly position: number;
}

export interface ConstantNode {
  readonly kind: 'constant';
  readonly name: ConstantName;
  readonly position: number;
}

export interface VariableNode {
  readonly kind: 'variable';
  readonly name: string;
  readonly position: number;
}

/** Unary minus. Unary plus is dropped by the parser: `+a` is `a`. */
export interface NegateNode {
  readonly kind: 'negate';
  readonly operand: ExpressionNode;
  readonly position: number;
}

/** `left op right`; `position` is the operator's. */
export interface BinaryNode {
  readonly kind: 'binary';
  readonly operator: BinaryOperator;
  readonly left: ExpressionNode;
  readonly right: ExpressionNode;
  readonly position: number;
}

/** A function call with as many arguments as {@link FUNCTION_ARITY} says; `position` is the name's. */
export interface CallNode {
  readonly kind: 'call';
  readonly name: FunctionName;
  readonly args: readonly ExpressionNode[];
  readonly position: number;
}

/** The parse tree. */
export type ExpressionNode = NumberNode | ConstantNode | VariableNode | NegateNode | BinaryNode | CallNode;

/** Children of a parse-tree node, left to right. */
export function expressionChildren(node: ExpressionNode): readonly ExpressionNode[] {
  switch (node.kind) {
    case 'negate':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    case 'call':
      return node.args;
    default:
      return [];
  }
}

/**
 * Operations of the DAG. Besides the user-visible ones, differentiation introduces
 * `sign` (the derivative of `abs`) and `select` (`a <= b ? p : q`, the derivative of `min`/`max`).
 */
export type GraphOp =
  | 'constant'
  | 'variable'
  | 'add'
  | 'subtract'
  | 'multiply'
  | 'divide'
  | 'negate'
  | 'pow'
  | 'min'
  | 'max'
  | 'sign'
  | 'select'
  | UnaryFunctionName;

/**
 * A node of the hash-consed DAG. `id`s are dense and increase in creation order; since a node is
 * created after its arguments, sorting by `id` is a topological order (arguments first).
 */
export interface GraphNode {
  readonly id: number;
  readonly op: GraphOp;
  readonly args: readonly GraphNode[];
  /** The value of a `constant` node (NaN for other ops). */
  readonly value: number;
  /** The variable index of a `variable` node (−1 for other ops). */
  readonly index: number;
  /** Whether the node depends on any variable; constant subgraphs get no derivative. */
  readonly variable: boolean;
}

/**
 * Every node reachable from `roots`, sorted by id (arguments before their users).
 * Iterative, so a 5,000-long chain `x+x+…` cannot overflow the stack.
 */
export function reachableNodes(roots: readonly GraphNode[]): GraphNode[] {
  const seen = new Set<number>();
  const nodes: GraphNode[] = [];
  const stack = [...roots];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node.id)) continue;
    seen.add(node.id);
    nodes.push(node);
    for (const arg of node.args) if (!seen.has(arg.id)) stack.push(arg);
  }
  return nodes.sort((a, b) => a.id - b.id);
}
