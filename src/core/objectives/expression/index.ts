/** Expression objectives: parse, simplify, differentiate and compile user-typed functions. */
export type {
  BinaryOperator,
  ExpressionNode,
  FunctionName,
  GraphNode,
  GraphOp,
} from './ast.ts';
export { BINARY_FUNCTIONS, CONSTANTS, FUNCTION_ARITY, UNARY_FUNCTIONS } from './ast.ts';
export { formatNumber, isSafeSource, SAFE_LINE } from './compile.ts';
export { forwardDerivative, gradientNodes, hessianNodes } from './differentiate.ts';
export {
  createExpressionObjective,
  DEFAULT_MAX_GRAPH_NODES,
  type ExpressionDefinition,
  type ExpressionObjective,
  type ExpressionObjectiveOptions,
  type ExpressionSource,
  expressionVariables,
  TRUSTED_PARSE_LIMITS,
} from './objective.ts';
export {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_LENGTH,
  DEFAULT_MAX_NODES,
  ExpressionError,
  type ExpressionSyntaxError,
  isReservedName,
  type ParseOptions,
  type ParseResult,
  parseExpression,
  variableNameProblem,
} from './parser.ts';
export { buildGraph, ExpressionGraph, evaluateGraph } from './simplify.ts';
