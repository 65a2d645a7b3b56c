/**
 * Exact symbolic derivatives on the expression DAG (never finite differences).
 *
 * - {@link gradientNodes}: reverse mode (adjoints). ∂f/∂xᵢ for all i in one sweep, so the gradient
 *   DAG is a small multiple of the value DAG whatever the number of variables.
 * - {@link forwardDerivative}: forward mode, d/dxⱼ of several outputs at once.
 * - {@link hessianNodes}: forward over reverse, Hᵢⱼ = ∂/∂xⱼ (∂f/∂xᵢ), for i ≤ j (H is symmetric).
 *
 * Local rules (v is the node's own value, reused where the derivative contains it):
 *   (a/b)' = a'/b − b'·(v/b)          (a^b)' = a'·b·a^(b−1) + b'·v·log(a)
 *   tan' = 1 + v²   exp' = v   log' = 1/a   sqrt' = 1/(2v)   tanh' = 1 − v²
 *   atan' = 1/(1 + a²)   asin' = 1/√(1 − a²)   acos' = −1/√(1 − a²)
 *   abs' = sign(a) (0 at 0)   sign' = 0
 *   min(a, b)' = a <= b ? a' : b'      max(a, b)' = b <= a ? a' : b'
 *
 * Ties in min/max take the first argument's derivative: min(x, y) at x = y differentiates as x.
 * The `b'·v·log(a)` term exists only when the exponent depends on a variable, so x^2 gives 2x and
 * a constant exponent never takes the log of a negative base. Domain errors (log of a negative,
 * 0/0, …) surface as NaN or ±∞ in the values, which the run loop reports as `diverged`.
 */
import { type GraphNode, reachableNodes } from './ast.ts';
import { type ExpressionGraph, isConstantValue } from './simplify.ts';

/** seed · ∂node/∂args[k] — linear in `seed`, so it serves both forward and reverse mode. */
function chain(graph: ExpressionGraph, node: GraphNode, k: number, seed: GraphNode): GraphNode {
  const [a, b] = node.args as [GraphNode, GraphNode];
  const g = graph;
  const zero = g.constant(0);
  const one = g.constant(1);
  switch (node.op) {
    case 'add':
      return seed;
    case 'subtract':
      return k === 0 ? seed : g.negate(seed);
    case 'multiply':
      return g.multiply(seed, k === 0 ? b : a);
    case 'divide':
      return k === 0 ? g.divide(seed, b) : g.negate(g.multiply(seed, g.divide(node, b)));
    case 'negate':
      return g.negate(seed);
    case 'pow':
      return k === 0
        ? g.multiply(seed, g.multiply(b, g.pow(a, g.subtract(b, one))))
        : g.multiply(seed, g.multiply(node, g.unary('log', a)));
    case 'sin':
      return g.multiply(seed, g.unary('cos', a));
    case 'cos':
      return g.negate(g.multiply(seed, g.unary('sin', a)));
    case 'tan':
      return g.multiply(seed, g.add(one, g.pow(node, g.constant(2))));
    case 'exp':
      return g.multiply(seed, node);
    case 'log':
      return g.divide(seed, a);
    case 'sqrt':
      return g.divide(seed, g.multiply(g.constant(2), node));
    case 'abs':
      return g.multiply(seed, g.sign(a));
    case 'tanh':
      return g.multiply(seed, g.subtract(one, g.pow(node, g.constant(2))));
    case 'sinh':
      return g.multiply(seed, g.unary('cosh', a));
    case 'cosh':
      return g.multiply(seed, g.unary('sinh', a));
    case 'atan':
      return g.divide(seed, g.add(one, g.pow(a, g.constant(2))));
    case 'asin':
      return g.divide(seed, g.unary('sqrt', g.subtract(one, g.pow(a, g.constant(2)))));
    case 'acos':
      return g.negate(g.divide(seed, g.unary('sqrt', g.subtract(one, g.pow(a, g.constant(2))))));
    case 'sign':
      return zero;
    case 'min':
      return k === 0 ? g.select(a, b, seed, zero) : g.select(a, b, zero, seed);
    case 'max':
      return k === 0 ? g.select(b, a, seed, zero) : g.select(b, a, zero, seed);
    case 'select':
      // Piecewise constant in the compared operands; passes the seed to the chosen branch.
      if (k < 2) return zero;
      return k === 2 ? g.select(a, b, seed, zero) : g.select(a, b, zero, seed);
    case 'constant':
    case 'variable':
      return zero;
  }
}

/**
 * ∂f/∂xᵢ for i = 0 … dim−1 by reverse accumulation over the DAG of `root`.
 * Nodes are visited by decreasing id, so every user of a node is done before the node itself.
 */
export function gradientNodes(graph: ExpressionGraph, root: GraphNode, dim: number): GraphNode[] {
  const zero = graph.constant(0);
  const adjoints = new Map<number, GraphNode>();
  const variables = new Map<number, GraphNode>();
  if (root.variable) adjoints.set(root.id, graph.constant(1));
  const order = reachableNodes([root]);
  for (let position = order.length - 1; position >= 0; position--) {
    const node = order[position]!;
    const adjoint = adjoints.get(node.id);
    if (adjoint === undefined) continue;
    if (node.op === 'variable') {
      variables.set(node.index, adjoint);
      continue;
    }
    node.args.forEach((arg, k) => {
      if (!arg.variable) return;
      const contribution = chain(graph, node, k, adjoint);
      if (isConstantValue(contribution, 0)) return;
      const previous = adjoints.get(arg.id);
      adjoints.set(arg.id, previous === undefined ? contribution : graph.add(previous, contribution));
    });
  }
  return Array.from({ length: dim }, (_, index) => variables.get(index) ?? zero);
}

/** Thrown inside {@link forwardDerivative} when the graph outgrows its node budget. */
class BudgetExceeded extends Error {}

/**
 * d/dx_variableIndex of each output, by forward (tangent) propagation in topological order.
 * Stops with {@link BudgetExceeded} when the graph passes `maxGraphSize` nodes.
 */
function tangents(
  graph: ExpressionGraph,
  outputs: readonly GraphNode[],
  variableIndex: number,
  maxGraphSize: number,
): GraphNode[] {
  const zero = graph.constant(0);
  const tangent = new Map<number, GraphNode>();
  const tangentOf = (node: GraphNode): GraphNode => tangent.get(node.id) ?? zero;
  for (const node of reachableNodes(outputs)) {
    if (!node.variable) continue;
    if (node.op === 'variable') {
      if (node.index === variableIndex) tangent.set(node.id, graph.constant(1));
      continue;
    }
    const [a, b] = node.args as [GraphNode, GraphNode];
    let derivative: GraphNode;
    if (node.op === 'min') derivative = graph.select(a, b, tangentOf(a), tangentOf(b));
    else if (node.op === 'max') derivative = graph.select(b, a, tangentOf(a), tangentOf(b));
    else if (node.op === 'select')
      derivative = graph.select(a, b, tangentOf(node.args[2]!), tangentOf(node.args[3]!));
    else {
      derivative = zero;
      node.args.forEach((arg, k) => {
        const argTangent = tangent.get(arg.id);
        if (argTangent !== undefined) derivative = graph.add(derivative, chain(graph, node, k, argTangent));
      });
    }
    if (!isConstantValue(derivative, 0)) tangent.set(node.id, derivative);
    if (graph.size > maxGraphSize) throw new BudgetExceeded();
  }
  return outputs.map(tangentOf);
}

/** d/dx_variableIndex of each output (forward mode). */
export function forwardDerivative(
  graph: ExpressionGraph,
  outputs: readonly GraphNode[],
  variableIndex: number,
): GraphNode[] {
  return tangents(graph, outputs, variableIndex, Number.POSITIVE_INFINITY);
}

/**
 * The Hessian as a row-major dim×dim array of nodes, Hᵢⱼ = ∂(∂f/∂xᵢ)/∂xⱼ computed for i ≤ j and
 * mirrored, so the result is exactly symmetric. Returns null when building it would take the
 * graph past `maxGraphSize` nodes (the objective then offers no Hessian rather than stall).
 */
export function hessianNodes(
  graph: ExpressionGraph,
  gradient: readonly GraphNode[],
  maxGraphSize = Number.POSITIVE_INFINITY,
): GraphNode[] | null {
  const dim = gradient.length;
  const entries: GraphNode[] = new Array(dim * dim);
  try {
    for (let j = 0; j < dim; j++) {
      const column = tangents(graph, gradient.slice(0, j + 1), j, maxGraphSize);
      for (let i = 0; i <= j; i++) {
        entries[i * dim + j] = column[i]!;
        entries[j * dim + i] = column[i]!;
      }
    }
  } catch (error) {
    if (error instanceof BudgetExceeded) return null;
    throw error;
  }
  return entries;
}
