/**
 * The hash-consed expression DAG and its simplifying constructors.
 *
 * Every node is built through {@link ExpressionGraph}, which
 * - hash-conses: a structurally equal node is returned instead of a new one, so shared
 *   subexpressions (and the many repeats that differentiation produces) exist once;
 * - folds constants with the same arithmetic the generated code uses;
 * - applies local identities: `x+0 = x`, `x*1 = x`, `x*0 = 0`, `x^1 = x`, `x^0 = 1`, `--x = x`,
 *   `x+(-y) = x-y`, `x+x = 2*x`, `c1*(c2*x) = (c1*c2)*x`, `-(c*x) = (-c)*x`, …;
 * - orders the operands of `+` and `*` canonically (both are exactly commutative in IEEE 754),
 *   so `a*b` and `b*a` are one node.
 *
 * `x*0 = 0` holds even where x is NaN or infinite (as in every computer-algebra system): it keeps
 * derivatives small, and only matters for expressions such as `0*log(x)` that the user would not
 * write on purpose. `0/x` is NOT folded, so `0/0` stays NaN.
 */
import {
  CONSTANTS,
  type ExpressionNode,
  expressionChildren,
  type GraphNode,
  type GraphOp,
  reachableNodes,
  type UnaryFunctionName,
} from './ast.ts';

/** Distinguishes -0 from 0 (they are different constants: 1/-0 = -∞). */
function numberKey(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/**
 * The arithmetic of one operation, exactly as the generated code performs it
 * (`pow(a, 2)` is `a*a`; `select(a, b, p, q)` is `a <= b ? p : q`).
 */
export function applyOp(op: GraphOp, args: readonly number[]): number {
  const a = args[0]!;
  const b = args[1]!;
  switch (op) {
    case 'add':
      return a + b;
    case 'subtract':
      return a - b;
    case 'multiply':
      return a * b;
    case 'divide':
      return a / b;
    case 'negate':
      return -a;
    case 'pow':
      return b === 2 ? a * a : a ** b;
    case 'min':
      return Math.min(a, b);
    case 'max':
      return Math.max(a, b);
    case 'sign':
      return Math.sign(a);
    case 'select':
      return a <= b ? args[2]! : args[3]!;
    case 'constant':
    case 'variable':
      throw new Error(`applyOp: '${op}' has no arguments`);
    default:
      return Math[op](a);
  }
}

export class ExpressionGraph {
  private readonly nodes: GraphNode[] = [];
  private readonly byKey = new Map<string, GraphNode>();

  /** Number of distinct nodes created so far. */
  get size(): number {
    return this.nodes.length;
  }

  private intern(op: GraphOp, args: readonly GraphNode[], value = Number.NaN, index = -1): GraphNode {
    let key: string = op;
    if (op === 'constant') key = `c${numberKey(value)}`;
    else if (op === 'variable') key = `v${index}`;
    else for (const arg of args) key += `,${arg.id}`;
    const existing = this.byKey.get(key);
    if (existing !== undefined) return existing;
    const node: GraphNode = {
      id: this.nodes.length,
      op,
      args,
      value,
      index,
      variable: op === 'variable' || args.some((arg) => arg.variable),
    };
    this.nodes.push(node);
    this.byKey.set(key, node);
    return node;
  }

  constant(value: number): GraphNode {
    return this.intern('constant', [], value);
  }

  variable(index: number): GraphNode {
    return this.intern('variable', [], Number.NaN, index);
  }

  /** Folds when every argument is a constant. */
  private folded(op: GraphOp, args: readonly GraphNode[]): GraphNode | null {
    if (!args.every(isConstant)) return null;
    return this.constant(
      applyOp(
        op,
        args.map((arg) => arg.value),
      ),
    );
  }

  /** a + b */
  add(a: GraphNode, b: GraphNode): GraphNode {
    const folded = this.folded('add', [a, b]);
    if (folded) return folded;
    if (isConstantValue(a, 0)) return b;
    if (isConstantValue(b, 0)) return a;
    // a + (-c) = a - c exactly (IEEE subtraction is addition of the negation).
    if (b.op === 'negate') return this.subtract(a, b.args[0]!);
    if (a.op === 'negate') return this.subtract(b, a.args[0]!);
    // x + x = 2x exactly.
    if (a === b) return this.multiply(this.constant(2), a);
    return this.intern('add', ordered(a, b));
  }

  /** a − b */
  subtract(a: GraphNode, b: GraphNode): GraphNode {
    const folded = this.folded('subtract', [a, b]);
    if (folded) return folded;
    if (isConstantValue(b, 0)) return a;
    if (isConstantValue(a, 0)) return this.negate(b);
    if (b.op === 'negate') return this.add(a, b.args[0]!);
    return this.intern('subtract', [a, b]);
  }

  /** a · b */
  multiply(a: GraphNode, b: GraphNode): GraphNode {
    const folded = this.folded('multiply', [a, b]);
    if (folded) return folded;
    [a, b] = ordered(a, b);
    if (isConstant(a)) {
      if (a.value === 0) return this.constant(0);
      if (a.value === 1) return b;
      if (a.value === -1) return this.negate(b);
      // c · (−x) = (−c) · x, and c1 · (c2 · x) = (c1 c2) · x (one rounding moved; derivatives
      // such as 100·(2·t) become 200·t).
      if (b.op === 'negate') return this.multiply(this.constant(-a.value), b.args[0]!);
      if (b.op === 'multiply' && isConstant(b.args[0]!)) {
        return this.multiply(this.constant(a.value * b.args[0]!.value), b.args[1]!);
      }
    }
    // (−a)(−b) = ab and (−a) b = −(ab), both exact.
    if (a.op === 'negate' && b.op === 'negate') return this.multiply(a.args[0]!, b.args[0]!);
    if (a.op === 'negate') return this.negate(this.multiply(a.args[0]!, b));
    if (b.op === 'negate') return this.negate(this.multiply(a, b.args[0]!));
    return this.intern('multiply', [a, b]);
  }

  /** a / b (0/x is kept, so 0/0 is NaN). */
  divide(a: GraphNode, b: GraphNode): GraphNode {
    const folded = this.folded('divide', [a, b]);
    if (folded) return folded;
    if (isConstantValue(b, 1)) return a;
    if (isConstantValue(b, -1)) return this.negate(a);
    if (a.op === 'negate' && b.op === 'negate') return this.divide(a.args[0]!, b.args[0]!);
    if (a.op === 'negate') return this.negate(this.divide(a.args[0]!, b));
    if (b.op === 'negate') return this.negate(this.divide(a, b.args[0]!));
    return this.intern('divide', [a, b]);
  }

  /** −a */
  negate(a: GraphNode): GraphNode {
    if (isConstant(a)) return this.constant(-a.value);
    if (a.op === 'negate') return a.args[0]!;
    // −(p − q) = q − p exactly.
    if (a.op === 'subtract') return this.subtract(a.args[1]!, a.args[0]!);
    if (a.op === 'multiply' && isConstant(a.args[0]!)) {
      return this.multiply(this.constant(-a.args[0]!.value), a.args[1]!);
    }
    return this.intern('negate', [a]);
  }

  /** a^b, as `Math.pow` (so x^0 = 1 for every x, NaN included). */
  pow(a: GraphNode, b: GraphNode): GraphNode {
    const folded = this.folded('pow', [a, b]);
    if (folded) return folded;
    if (isConstantValue(b, 1)) return a;
    if (isConstantValue(b, 0)) return this.constant(1);
    return this.intern('pow', [a, b]);
  }

  min(a: GraphNode, b: GraphNode): GraphNode {
    return this.folded('min', [a, b]) ?? (a === b ? a : this.intern('min', [a, b]));
  }

  max(a: GraphNode, b: GraphNode): GraphNode {
    return this.folded('max', [a, b]) ?? (a === b ? a : this.intern('max', [a, b]));
  }

  /** sign(a) ∈ {−1, 0, 1} (±0 at ±0, NaN at NaN). */
  sign(a: GraphNode): GraphNode {
    return this.folded('sign', [a]) ?? (a.op === 'sign' ? a : this.intern('sign', [a]));
  }

  /** `a <= b ? ifTrue : ifFalse` (NaN compares false). */
  select(a: GraphNode, b: GraphNode, ifTrue: GraphNode, ifFalse: GraphNode): GraphNode {
    if (ifTrue === ifFalse) return ifTrue;
    if (isConstant(a) && isConstant(b)) return a.value <= b.value ? ifTrue : ifFalse;
    return this.intern('select', [a, b, ifTrue, ifFalse]);
  }

  /** f(a) for a one-argument function. */
  unary(name: UnaryFunctionName, a: GraphNode): GraphNode {
    const folded = this.folded(name, [a]);
    if (folded) return folded;
    // |(|a|)| = |a| and |−a| = |a|.
    if (name === 'abs' && a.op === 'abs') return a;
    if (name === 'abs' && a.op === 'negate') return this.unary('abs', a.args[0]!);
    return this.intern(name, [a]);
  }

  /** Any operation by name, through the simplifying constructors. */
  apply(op: GraphOp, args: readonly GraphNode[]): GraphNode {
    const [a, b] = args as [GraphNode, GraphNode];
    switch (op) {
      case 'add':
        return this.add(a, b);
      case 'subtract':
        return this.subtract(a, b);
      case 'multiply':
        return this.multiply(a, b);
      case 'divide':
        return this.divide(a, b);
      case 'negate':
        return this.negate(a);
      case 'pow':
        return this.pow(a, b);
      case 'min':
        return this.min(a, b);
      case 'max':
        return this.max(a, b);
      case 'sign':
        return this.sign(a);
      case 'select':
        return this.select(a, b, args[2]!, args[3]!);
      case 'constant':
      case 'variable':
        throw new Error(`apply: '${op}' is a leaf`);
      default:
        return this.unary(op, a);
    }
  }
}

export function isConstant(node: GraphNode): boolean {
  return node.op === 'constant';
}

export function isConstantValue(node: GraphNode, value: number): boolean {
  return node.op === 'constant' && node.value === value;
}

/** Canonical operand order for commutative operations: constants first, then by id. */
function ordered(a: GraphNode, b: GraphNode): [GraphNode, GraphNode] {
  if (isConstant(b) && !isConstant(a)) return [b, a];
  if (isConstant(a) && !isConstant(b)) return [a, b];
  return a.id <= b.id ? [a, b] : [b, a];
}

const BINARY_OPS = { '+': 'add', '-': 'subtract', '*': 'multiply', '/': 'divide', '^': 'pow' } as const;

/**
 * Builds the simplified DAG of a parse tree; variable `name` becomes `variable(variables.indexOf(name))`.
 * Iterative post-order, so parse trees thousands of levels deep (`x+x+…+x`) are fine.
 */
export function buildGraph(
  graph: ExpressionGraph,
  ast: ExpressionNode,
  variables: readonly string[],
): GraphNode {
  const variableIndex = new Map(variables.map((name, index) => [name, index] as const));
  const built = new Map<ExpressionNode, GraphNode>();
  const stack: { node: ExpressionNode; expanded: boolean }[] = [{ node: ast, expanded: false }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const { node } = frame;
    if (!frame.expanded) {
      frame.expanded = true;
      for (const child of expressionChildren(node)) stack.push({ node: child, expanded: false });
      continue;
    }
    stack.pop();
    const args = expressionChildren(node).map((child) => built.get(child)!);
    let result: GraphNode;
    switch (node.kind) {
      case 'number':
        result = graph.constant(node.value);
        break;
      case 'constant':
        result = graph.constant(CONSTANTS.get(node.name)!);
        break;
      case 'variable': {
        const index = variableIndex.get(node.name);
        if (index === undefined)
          throw new Error(`buildGraph: variable '${node.name}' is not in the variable list`);
        result = graph.variable(index);
        break;
      }
      case 'negate':
        result = graph.negate(args[0]!);
        break;
      case 'binary':
        result = graph.apply(BINARY_OPS[node.operator], args);
        break;
      case 'call':
        result = graph.apply(node.name, args);
        break;
    }
    built.set(node, result);
  }
  return built.get(ast)!;
}

/** Evaluates DAG outputs at x by interpretation (a reference for the compiled code; tests use it). */
export function evaluateGraph(outputs: readonly GraphNode[], x: ArrayLike<number>): number[] {
  const values = new Map<number, number>();
  for (const node of reachableNodes(outputs)) {
    let value: number;
    if (node.op === 'constant') value = node.value;
    else if (node.op === 'variable') value = x[node.index]!;
    else
      value = applyOp(
        node.op,
        node.args.map((arg) => values.get(arg.id)!),
      );
    values.set(node.id, value);
  }
  return outputs.map((output) => values.get(output.id)!);
}
