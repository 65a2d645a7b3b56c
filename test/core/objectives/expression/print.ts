/**
 * Test helper (the service never prints a tree): lets the property tests feed generated trees to
 * the parser as text. Prints a parse tree back to expression text that parses to the same tree, with only the
 * parentheses the grammar needs. Precedence levels: sum 1, product 2, unary 3, power 4, atom 5;
 * `^` is right-associative, so its base needs an atom and its exponent a unary.
 */
import { type ExpressionNode, expressionChildren } from '../../../../src/core/objectives/expression/ast.ts';

const SUM = 1;
const PRODUCT = 2;
const UNARY = 3;
const POWER = 4;
const ATOM = 5;

interface Printed {
  text: string;
  precedence: number;
}

function wrap(printed: Printed, minimum: number): string {
  return printed.precedence >= minimum ? printed.text : `(${printed.text})`;
}

function printNode(node: ExpressionNode, args: readonly Printed[]): Printed {
  switch (node.kind) {
    case 'number':
      // Parse trees hold non-negative literals; a negative one (built by hand) prints as unary minus.
      return node.value < 0 || Object.is(node.value, -0)
        ? { text: `-${String(-node.value)}`, precedence: UNARY }
        : { text: String(node.value), precedence: ATOM };
    case 'constant':
    case 'variable':
      return { text: node.name, precedence: ATOM };
    case 'negate':
      return { text: `-${wrap(args[0]!, UNARY)}`, precedence: UNARY };
    case 'call':
      return { text: `${node.name}(${args.map((arg) => arg.text).join(', ')})`, precedence: ATOM };
    case 'binary': {
      const [left, right] = args as [Printed, Printed];
      switch (node.operator) {
        case '+':
        case '-':
          return { text: `${wrap(left, SUM)} ${node.operator} ${wrap(right, PRODUCT)}`, precedence: SUM };
        case '*':
        case '/':
          return {
            text: `${wrap(left, PRODUCT)} ${node.operator} ${wrap(right, UNARY)}`,
            precedence: PRODUCT,
          };
        case '^':
          return { text: `${wrap(left, ATOM)}^${wrap(right, UNARY)}`, precedence: POWER };
      }
    }
  }
}

/** Expression text for `root`. Iterative, so deep trees print without recursion. */
export function printExpression(root: ExpressionNode): string {
  const printed = new Map<ExpressionNode, Printed>();
  const stack: { node: ExpressionNode; expanded: boolean }[] = [{ node: root, expanded: false }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (!frame.expanded) {
      frame.expanded = true;
      for (const child of expressionChildren(frame.node)) stack.push({ node: child, expanded: false });
      continue;
    }
    stack.pop();
    const args = expressionChildren(frame.node).map((child) => printed.get(child)!);
    printed.set(frame.node, printNode(frame.node, args));
  }
  return printed.get(root)!.text;
}
