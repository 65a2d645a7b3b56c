import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';

/**
 * The wording of every validation message (API problem+json and `descent run` alike), in one
 * style: a missing field says `required`; allowed values are listed as `must be one of 'a', 'b'`
 * (enums, literals and the discriminators `type` and `name` alike) with the value received and,
 * for a near miss, `(did you mean 'x'?)`; an unknown field names the nearest allowed field and
 * every allowed one.
 *
 * {@link issueMessages} is installed as zod's `customError` when this module loads (problem.ts,
 * which formats every validation error, imports it), so every parse in the process words its issues
 * this way: the job spec's, the routes' parameters', the evaluate body's and the settings'. Messages
 * set in a schema (`lr must be greater than 0`) take precedence over it.
 */

/** A value as messages quote it: strings in single quotes, everything else as JSON. */
export function quote(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 60)}…` : value}'`;
  if (typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** `'a', 'b', 'c'` */
export function quoteList(values: readonly unknown[]): string {
  return values.map(quote).join(', ');
}

/** The candidate within a few edits of `word` (case-insensitive), or null when none is that close. */
export function nearest(word: string, candidates: readonly string[]): string | null {
  if (candidates.length === 0 || word.length === 0) return null;
  const lower = candidates.map((candidate) => candidate.toLowerCase());
  const best = closest(word.toLowerCase(), lower);
  const allowed = Math.max(1, Math.min(3, Math.floor(best.length / 3)));
  const edits = distance(word.toLowerCase(), best);
  // One letter for another in a one-letter name ('c' for 'a') is no near miss.
  if (edits > allowed || edits >= Math.min(word.length, best.length)) return null;
  return candidates[lower.indexOf(best)] ?? null;
}

/** ` (did you mean 'x'?)` when a candidate is near `got`, else ''. */
export function didYouMean(got: unknown, candidates: readonly unknown[]): string {
  if (typeof got !== 'string') return '';
  const match = nearest(
    got,
    candidates.filter((candidate): candidate is string => typeof candidate === 'string'),
  );
  return match === null ? '' : ` (did you mean ${quote(match)}?)`;
}

/** `must be one of 'a', 'b'; got 'c' (did you mean 'a'?)`, or `must be true` for a single value. */
export function oneOfMessage(values: readonly unknown[], got: unknown): string {
  const allowed = values.length === 1 ? `must be ${quote(values[0])}` : `must be one of ${quoteList(values)}`;
  if (got === undefined) return `required: ${allowed.replace(/^must be /, '')}`;
  return `${allowed}; got ${quote(got)}${didYouMean(got, values)}`;
}

/** `unknown field 'optimiser' (did you mean 'optimizer'?); allowed: 'objective', 'optimizer', …` */
export function unknownFieldMessage(key: string, allowed: readonly string[]): string {
  const list = allowed.length === 0 ? 'no fields are allowed here' : `allowed: ${quoteList(allowed)}`;
  return `unknown field ${quote(key)}${didYouMean(key, allowed)}; ${list}`;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** The allowed keys recorded on an `unrecognized_keys` issue by {@link issueMessages}. */
export interface UnrecognizedKeysIssue {
  code: 'unrecognized_keys';
  keys: string[];
  allowed?: string[];
}

/**
 * The zod error map. For unknown keys it also records the object's allowed keys on the issue
 * (`allowed`), which zod keeps on the issue it reports, so that one message per key can be made
 * (src/schemas/problem.ts).
 */
export const issueMessages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${issue.expected}, got ${typeName(issue.input)}`;
    case 'invalid_value':
      return oneOfMessage(issue.values, issue.input);
    case 'invalid_union': {
      const discriminator = (issue as { discriminator?: string }).discriminator;
      const options = (issue as { options?: unknown[] }).options;
      if (discriminator === undefined || options === undefined) return undefined;
      const input = issue.input as Record<string, unknown> | undefined;
      return oneOfMessage(options, input?.[discriminator]);
    }
    case 'unrecognized_keys': {
      const shape = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod
        ?.def?.shape;
      const allowed = shape === undefined ? [] : Object.keys(shape);
      (issue as unknown as UnrecognizedKeysIssue).allowed = allowed;
      return unknownFieldMessage(issue.keys[0] ?? '', allowed);
    }
    default:
      return undefined;
  }
};

z.config({ customError: issueMessages });
