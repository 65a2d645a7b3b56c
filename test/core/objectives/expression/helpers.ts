import fc from 'fast-check';
import {
  BINARY_FUNCTIONS,
  type BinaryOperator,
  CONSTANTS,
  type ExpressionNode,
  type FunctionName,
  UNARY_FUNCTIONS,
} from '../../../../src/core/objectives/expression/index.ts';

/**
 * Reference semantics: evaluates the parse tree directly with `Math.*`, no simplification, no
 * compilation. `scale` is the largest magnitude of any intermediate value, so comparisons can allow
 * for the rounding a simplified evaluation order may move around.
 */
export function evaluateTree(
  node: ExpressionNode,
  env: ReadonlyMap<string, number>,
): { value: number; scale: number } {
  let scale = 0;
  const visit = (current: ExpressionNode): number => {
    let value: number;
    switch (current.kind) {
      case 'number':
        value = current.value;
        break;
      case 'constant':
        value = CONSTANTS.get(current.name)!;
        break;
      case 'variable':
        value = env.get(current.name)!;
        break;
      case 'negate':
        value = -visit(current.operand);
        break;
      case 'binary': {
        const left = visit(current.left);
        const right = visit(current.right);
        value = applyBinary(current.operator, left, right);
        break;
      }
      case 'call': {
        const args = current.args.map(visit);
        value = applyCall(current.name, args);
        break;
      }
    }
    if (Number.isFinite(value)) scale = Math.max(scale, Math.abs(value));
    return value;
  };
  const value = visit(node);
  return { value, scale };
}

function applyBinary(operator: BinaryOperator, left: number, right: number): number {
  switch (operator) {
    case '+':
      return left + right;
    case '-':
      return left - right;
    case '*':
      return left * right;
    case '/':
      return left / right;
    case '^':
      return left ** right;
  }
}

function applyCall(name: FunctionName, args: number[]): number {
  const [a, b] = args as [number, number];
  switch (name) {
    case 'min':
      return Math.min(a, b);
    case 'max':
      return Math.max(a, b);
    case 'pow':
      return a ** b;
    default:
      return Math[name](a);
  }
}

const at = { position: 0 } as const;

/** Random well-formed parse trees over `variables`, at most `maxDepth` levels deep. */
export function expressionTreeArbitrary(
  variables: readonly string[],
  maxDepth = 4,
): fc.Arbitrary<ExpressionNode> {
  const leaf: fc.Arbitrary<ExpressionNode> = fc.oneof(
    fc.constantFrom(...variables).map((name): ExpressionNode => ({ kind: 'variable', name, ...at })),
    fc
      .oneof(fc.integer({ min: 0, max: 4 }), fc.double({ min: 0.1, max: 3, noNaN: true }))
      .map((value): ExpressionNode => ({ kind: 'number', value, ...at })),
    fc
      .constantFrom('pi' as const, 'e' as const)
      .map((name): ExpressionNode => ({ kind: 'constant', name, ...at })),
  );
  return fc.letrec<{ node: ExpressionNode }>((tie) => {
    const child = tie('node');
    return {
      node: fc.oneof(
        { maxDepth, depthIdentifier: 'expression' },
        leaf,
        leaf,
        child.map((operand): ExpressionNode => ({ kind: 'negate', operand, ...at })),
        fc
          .tuple(fc.constantFrom<BinaryOperator>('+', '-', '*', '/', '^'), child, child)
          .map(
            ([operator, left, right]): ExpressionNode => ({ kind: 'binary', operator, left, right, ...at }),
          ),
        fc
          .tuple(fc.constantFrom(...UNARY_FUNCTIONS), child)
          .map(([name, arg]): ExpressionNode => ({ kind: 'call', name, args: [arg], ...at })),
        fc
          .tuple(fc.constantFrom(...BINARY_FUNCTIONS), child, child)
          .map(([name, a, b]): ExpressionNode => ({ kind: 'call', name, args: [a, b], ...at })),
      ),
    };
  }).node;
}

/** The tree without positions, for structural comparison of a reparse. */
export function stripPositions(node: ExpressionNode): unknown {
  switch (node.kind) {
    case 'negate':
      return { kind: node.kind, operand: stripPositions(node.operand) };
    case 'binary':
      return {
        kind: node.kind,
        operator: node.operator,
        left: stripPositions(node.left),
        right: stripPositions(node.right),
      };
    case 'call':
      return { kind: node.kind, name: node.name, args: node.args.map(stripPositions) };
    case 'number':
      return { kind: node.kind, value: node.value };
    default:
      return { kind: node.kind, name: node.name };
  }
}

/**
 * The review grammar of generated code, written out here independently of compile.ts:
 * temporaries, indexed reads and writes of x/g/h, numeric literals, arithmetic, `<=`/`?:`,
 * and a closed list of `Math.*` functions. Nothing else may appear.
 */
export const REVIEWED_TOKEN =
  /\s+|const\b|return\b|t\d+\b|[xgh]\[\d+\]|Math\.(?:sin|cos|tan|exp|log|sqrt|abs|tanh|sinh|cosh|atan|asin|acos|pow|min|max|sign)\b|\d+(?:\.\d+)?(?:e[+-]\d+)?|<=|[-+*/=;(),?:]/y;

/** Whether `source` is a sequence of {@link REVIEWED_TOKEN}s and nothing else. */
export function onlyReviewedTokens(source: string): boolean {
  const token = new RegExp(REVIEWED_TOKEN.source, 'y');
  let offset = 0;
  while (offset < source.length) {
    token.lastIndex = offset;
    const match = token.exec(source);
    if (match === null || match[0].length === 0) return false;
    offset += match[0].length;
  }
  return true;
}
