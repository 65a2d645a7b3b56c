import { TRUSTED_PARSE_LIMITS } from './objectives/expression/objective.ts';
import { ExpressionError, parseExpression } from './objectives/expression/parser.ts';
import { buildGraph, ExpressionGraph, evaluateGraph } from './objectives/expression/simplify.ts';
import { createObjective } from './objectives/index.ts';
import { type JobSpec, objectiveDim } from './spec.ts';
import { startPoint } from './start-point.ts';

/**
 * f(x₀) when it is not finite, else null: the check normalisation makes so that a spec whose run
 * would end `diverged` at iteration 0 is refused up front. One evaluation of f, made cheap:
 * - an expression is interpreted on its simplified graph (the graph the compiled code is
 *   generated from, so the same value), without compiling value, gradient or Hessian;
 * - a rotated quadratic is not built (its Q costs O(n²), ~17 ms at n = 1000): f = ½ (Qx)ᵀΛ(Qx)
 *   with Q orthogonal and λᵢ in [1, κ] is at most ½κ‖x‖², so f is finite whenever that bound
 *   is; only a start that large builds Q and evaluates f;
 * - a builtin's standard start (`{standard: true}`, what a large builtin gets by default) is one
 *   of the catalog's points, where every builtin is finite: not evaluated (at dim 10⁶ that saves
 *   ~9 ms of the API's event loop per submit);
 * - other builtins are built and evaluated: O(dim).
 * An expression of 10,000 characters costs about 13 ms here (parse and graph); a typical one, well
 * under a millisecond.
 */
export function nonFiniteStartValue(spec: JobSpec): number | null {
  // A model's data is resolved by the run's caller, not here; on finite data (checked on upload)
  // its loss is finite wherever x is, and a start so large that it overflows ends `diverged`.
  if ('standard' in spec.start || spec.objective.type === 'model') return null;
  const dim = objectiveDim(spec.objective);
  const x = startPoint(spec, dim);
  const objective = spec.objective;
  let f: number;
  if (objective.type === 'expression') {
    const parsed = parseExpression(objective.expression, {
      ...TRUSTED_PARSE_LIMITS,
      variables: objective.variables,
    });
    if (!parsed.ok) throw new ExpressionError(parsed.error);
    const graph = new ExpressionGraph();
    f = evaluateGraph([buildGraph(graph, parsed.ast, parsed.variables)], x)[0];
  } else {
    if (objective.name === 'quadratic' && objective.params.rotate === true) {
      let squares = 0;
      for (let i = 0; i < dim; i++) squares += x[i] * x[i];
      if (Number.isFinite(0.5 * (objective.params.conditionNumber as number) * squares)) return null;
    }
    f = createObjective(objective, spec.seed).value(x);
  }
  return Number.isFinite(f) ? null : f;
}
