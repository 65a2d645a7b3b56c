import { z } from 'zod';
import { BUILTIN_NAMES, builtins } from '../core/objectives/builtins/index.ts';
import { didYouMean, quote, quoteList } from './issue-messages.ts';

/**
 * `{"type": "builtin", "name", "dim"?, "params"?}` (API.md "Objective"). Beyond the shape, the
 * refinement checks what depends on the named function: its dimension rule and its declared
 * parameters (name, type, finiteness, lower bound). Each issue's path names the offending field,
 * e.g. ['params', 'conditionNumber'] or ['dim'].
 */

export interface BuiltinObjectiveLimits {
  maxDim: number;
}

/** `unknown parameter 'c' of quadratic (did you mean …?); allowed: 'conditionNumber', 'rotate'` */
function unknownParameterMessage(name: string, key: string, known: readonly string[]): string {
  const allowed = known.length === 0 ? `${name} takes no parameters` : `allowed: ${quoteList(known)}`;
  return `unknown parameter ${quote(key)} of ${name}${didYouMean(key, known)}; ${allowed}`;
}

export function createBuiltinObjectiveSchema(limits: BuiltinObjectiveLimits) {
  return z
    .strictObject({
      type: z.literal('builtin'),
      name: z.enum(BUILTIN_NAMES),
      dim: z.number().int().min(1).max(limits.maxDim).optional(),
      params: z
        .record(
          z.string(),
          z.union([z.number(), z.boolean()], { error: 'must be a finite number or a boolean' }),
        )
        .optional(),
    })
    .superRefine((objective, ctx) => {
      const definition = builtins[objective.name];
      const dim = objective.dim;
      if (dim !== undefined) {
        if (!definition.anyDim && dim !== 2) {
          ctx.addIssue({
            code: 'custom',
            path: ['dim'],
            message: `${objective.name} is defined for dim 2 only`,
          });
        } else if (dim < definition.minDim) {
          ctx.addIssue({
            code: 'custom',
            path: ['dim'],
            message: `${objective.name} needs dim >= ${definition.minDim}`,
          });
        }
      }
      for (const [key, value] of Object.entries(objective.params ?? {})) {
        const path = ['params', key];
        const info = Object.hasOwn(definition.params, key) ? definition.params[key] : undefined;
        if (info === undefined) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: unknownParameterMessage(objective.name, key, Object.keys(definition.params)),
          });
        } else if (typeof value !== typeof info.default) {
          ctx.addIssue({ code: 'custom', path, message: `must be a ${typeof info.default}` });
        } else if (typeof value === 'number') {
          if (!Number.isFinite(value)) {
            ctx.addIssue({ code: 'custom', path, message: 'must be a finite number' });
          } else if (info.min !== undefined && value < info.min) {
            ctx.addIssue({ code: 'custom', path, message: `must be >= ${info.min}` });
          }
        }
      }
    });
}

export const builtinObjectiveSchema = createBuiltinObjectiveSchema({ maxDim: 1_000_000 });

export type BuiltinObjectiveSpec = z.output<typeof builtinObjectiveSchema>;
