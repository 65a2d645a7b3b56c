/**
 * Expression objectives: `{ expression: "(1-x)^2 + 100*(y-x^2)^2", variables?: ["x", "y"] }` as an
 * {@link Objective} like any builtin, with exact gradient and Hessian from symbolic
 * differentiation and compiled straight-line code for speed.
 *
 * Pipeline: parse (parser.ts) → simplified, hash-consed DAG (simplify.ts) → reverse-mode gradient
 * and forward-over-reverse Hessian (differentiate.ts) → generated JS (compile.ts).
 */
import type { Objective } from '../../types.ts';
import type { GraphNode } from './ast.ts';
import { compileFunction, generateBody, type Output } from './compile.ts';
import { gradientNodes, hessianNodes } from './differentiate.ts';
import { ExpressionError, type ParseOptions, parseExpression } from './parser.ts';
import { buildGraph, ExpressionGraph } from './simplify.ts';

export interface ExpressionDefinition {
  expression: string;
  /** Variable order; default: the sorted free variables. */
  variables?: readonly string[];
}

export interface ExpressionObjectiveOptions extends Omit<ParseOptions, 'variables'> {
  /**
   * Node budget for the symbolic Hessian (default 500,000 DAG nodes). Past it the objective has no
   * `hessian` method instead of spending seconds and memory on one; value and gradient are unaffected.
   * The Hessian is built on first use (reading `hessian`, `source` or `nodeCounts`), never at creation.
   */
  maxGraphNodes?: number;
}

export const DEFAULT_MAX_GRAPH_NODES = 500_000;

/**
 * Parse limits when none are given here. Specs reach the core already validated against the
 * deployment's limits (src/schemas), which may be higher than API.md's defaults; re-applying the
 * defaults here would reject a spec the boundary accepted. Depth stays bounded because only
 * parentheses recurse in the parser.
 */
export const TRUSTED_PARSE_LIMITS: Readonly<Required<Omit<ParseOptions, 'variables'>>> = Object.freeze({
  maxLength: Number.POSITIVE_INFINITY,
  maxDepth: 1000,
  maxNodes: Number.POSITIVE_INFINITY,
});

/**
 * The variable order of a (validated) expression spec: `variables` when given, else the sorted
 * free variables. Throws {@link ExpressionError} when the spec is invalid.
 */
export function expressionVariables(
  definition: ExpressionDefinition,
  options: Omit<ParseOptions, 'variables'> = {},
): string[] {
  const parsed = parseExpression(definition.expression, {
    ...TRUSTED_PARSE_LIMITS,
    ...options,
    variables: definition.variables,
  });
  if (!parsed.ok) throw new ExpressionError(parsed.error);
  return parsed.variables;
}

/** The generated function bodies, for review: only whitelisted tokens (see compile.ts). */
export interface ExpressionSource {
  value: string;
  valueAndGradient: string;
  /** null when the Hessian exceeded the node budget. */
  hessian: string | null;
}

export interface ExpressionObjective extends Objective {
  /** The variable names; x[i] is `variables[i]`. */
  readonly variables: readonly string[];
  /** The generated bodies; reading it builds the Hessian (lazily, once). */
  readonly source: ExpressionSource;
  /**
   * Distinct DAG nodes of f, of f with its gradient (the work of one evaluation), and of the
   * Hessian; reading it builds the Hessian (lazily, once).
   */
  readonly nodeCounts: { value: number; valueAndGradient: number; hessian: number | null };
}

type ValueFunction = (x: Float64Array) => number;
type ValueAndGradientFunction = (x: Float64Array, g: Float64Array) => number;
type HessianFunction = (x: Float64Array, h: Float64Array) => void;

/** Zero entries written one by one up to this count; past it `h.fill(0)` is cheaper than the code. */
const MAX_EXPLICIT_ZEROS = 256;

function countNodes(nodes: readonly GraphNode[]): number {
  const seen = new Set<number>();
  const stack = [...nodes];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node.id)) continue;
    seen.add(node.id);
    stack.push(...node.args);
  }
  return seen.size;
}

/**
 * Builds the objective: value and gradient compiled now, the Hessian on its first use (the
 * `hessian` getter: undefined when it exceeds the node budget), so a run or an evaluation that
 * needs no Hessian never pays for differentiating twice. Throws {@link ExpressionError} (message
 * and position) when the expression or its `variables` are invalid; the API validates specs
 * first, so a run never sees that.
 * Parse limits default to {@link TRUSTED_PARSE_LIMITS}; pass the boundary's limits to re-check them.
 * Evaluation never throws: domain errors give NaN or ±∞.
 */
export function createExpressionObjective(
  definition: ExpressionDefinition,
  options: ExpressionObjectiveOptions = {},
): ExpressionObjective {
  const parsed = parseExpression(definition.expression, {
    ...TRUSTED_PARSE_LIMITS,
    ...options,
    variables: definition.variables,
  });
  if (!parsed.ok) throw new ExpressionError(parsed.error);
  const { ast, variables } = parsed;
  const dim = variables.length;

  const graph = new ExpressionGraph();
  const root = buildGraph(graph, ast, variables);
  const gradient = gradientNodes(graph, root, dim);

  const valueBody = generateBody([{ target: { kind: 'return' }, node: root }]);
  const valueAndGradientBody = generateBody([
    ...gradient.map((node, index): Output => ({ target: { kind: 'g', index }, node })),
    { target: { kind: 'return' }, node: root },
  ]);
  const maxGraphNodes = options.maxGraphNodes ?? DEFAULT_MAX_GRAPH_NODES;
  let lazyHessian: CompiledHessian | null = null;
  /** The symbolic Hessian, built and compiled on first use: most runs and evaluations never need it. */
  const compiledHessian = (): CompiledHessian => {
    lazyHessian ??= compileHessian(graph, gradient, maxGraphNodes);
    return lazyHessian;
  };

  return {
    dim,
    variables,
    value: compileFunction<ValueFunction>(['x'], valueBody),
    valueAndGradient: compileFunction<ValueAndGradientFunction>(['x', 'g'], valueAndGradientBody),
    get hessian() {
      return compiledHessian().method;
    },
    get source() {
      return { value: valueBody, valueAndGradient: valueAndGradientBody, hessian: compiledHessian().body };
    },
    get nodeCounts() {
      return {
        value: countNodes([root]),
        valueAndGradient: countNodes([root, ...gradient]),
        hessian: compiledHessian().nodeCount,
      };
    },
  };
}

/** The compiled Hessian: its method (undefined past the node budget), source and node count. */
interface CompiledHessian {
  method: HessianFunction | undefined;
  body: string | null;
  nodeCount: number | null;
}

/** Differentiates the gradient once more (within `maxGraphNodes`) and compiles the result. */
function compileHessian(
  graph: ExpressionGraph,
  gradient: readonly GraphNode[],
  maxGraphNodes: number,
): CompiledHessian {
  const hessian = hessianNodes(graph, gradient, maxGraphNodes);
  if (hessian === null) return { method: undefined, body: null, nodeCount: null };
  const zeros = hessian.filter((node) => node.op === 'constant' && node.value === 0).length;
  const fillFirst = zeros > MAX_EXPLICIT_ZEROS;
  const outputs: Output[] = [];
  hessian.forEach((node, index) => {
    if (!(fillFirst && node.op === 'constant' && node.value === 0))
      outputs.push({ target: { kind: 'h', index }, node });
  });
  const body = generateBody(outputs);
  const compiled = compileFunction<HessianFunction>(['x', 'h'], body);
  const method: HessianFunction = fillFirst
    ? (x, h) => {
        h.fill(0);
        compiled(x, h);
      }
    : compiled;
  return { method, body, nodeCount: countNodes(hessian) };
}
