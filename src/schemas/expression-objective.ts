import { z } from 'zod';
import { expressionVariables, parseExpression } from '../core/objectives/expression/index.ts';
import { caret } from './problem.ts';

/**
 * `{"type": "expression", "expression": "(1-x)^2 + 100*(y-x^2)^2", "variables"?: ["x", "y"]}`
 * (API.md "Objective"). The refinement runs the real parser, so a spec that passes here builds an
 * objective: a syntax error is an issue at ['expression'] carrying the parser's message and
 * position ("unexpected ')' at 14") and a caret under it (`source`, `marker`); a bad `variables` entry is an issue at ['variables', k], and a
 * variable used but not listed one at ['variables'].
 */

export interface ExpressionObjectiveLimits {
  maxExpressionLength: number;
  /** Maximum nesting of parentheses and calls. */
  maxDepth: number;
}

export function createExpressionObjectiveSchema(limits: ExpressionObjectiveLimits) {
  return z
    .strictObject({
      type: z.literal('expression'),
      expression: z
        .string()
        .max(limits.maxExpressionLength, {
          error: `expression longer than ${limits.maxExpressionLength} characters at ${limits.maxExpressionLength}`,
        })
        .describe(
          'A function of named scalar variables: numbers, + - * / ^ (right-associative, binds tighter ' +
            'than unary minus), parentheses, constants pi and e, and the functions sin cos tan exp log ' +
            'sqrt abs tanh sinh cosh atan asin acos (one argument) and min max pow (two).',
        ),
      variables: z
        .array(z.string())
        .optional()
        .describe(
          'Variable order (x[i] is variables[i]); may list unused variables. Default: sorted free variables.',
        ),
    })
    .superRefine((spec, ctx) => {
      // Too long is already reported by .max (which also documents maxLength in the OpenAPI schema).
      if (spec.expression.length > limits.maxExpressionLength) return;
      const result = parseExpression(spec.expression, {
        variables: spec.variables,
        maxLength: limits.maxExpressionLength,
        maxDepth: limits.maxDepth,
      });
      if (result.ok) return;
      const { message, position, variableIndex } = result.error;
      const path =
        variableIndex === undefined
          ? ['expression']
          : variableIndex >= 0
            ? ['variables', variableIndex]
            : ['variables'];
      ctx.addIssue({
        code: 'custom',
        path,
        message,
        params:
          position >= 0 && variableIndex === undefined ? caret(spec.expression, position) : { position },
      });
    });
}

/** The schema with API.md's default limits (10,000 characters, depth 200). */
export const expressionObjectiveSchema = createExpressionObjectiveSchema({
  maxExpressionLength: 10_000,
  maxDepth: 200,
});

export type ExpressionObjectiveSpec = z.output<typeof expressionObjectiveSchema>;

/** The dimension of a validated expression spec: its number of variables. */
export function expressionDim(spec: Pick<ExpressionObjectiveSpec, 'expression' | 'variables'>): number {
  return expressionVariables(spec).length;
}

export { expressionVariables };
