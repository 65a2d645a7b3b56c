import type { z } from 'zod';
import { type UnrecognizedKeysIssue, unknownFieldMessage } from './issue-messages.ts';

/**
 * One field-level error of a problem document: `path` is dotted, indices in brackets (`start.x0[2]`).
 * An error at a place in a text (an expression, a JSON body) adds `position` (0-based offset), and
 * `source` and `marker`: the text around it and a caret under the place, to print one above the
 * other. Their keys have the same length, so in indented JSON (`descent run`, `jq`) they line up
 * too while the text has no character JSON escapes (quotes, backslashes): an expression.
 */
export interface FieldError {
  path: string;
  message: string;
  position?: number;
  source?: string;
  marker?: string;
}

/** RFC 9457 problem details, as every error of the API and the CLI is reported. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export function formatPath(
  path: ReadonlyArray<PropertyKey>,
  prefix: ReadonlyArray<PropertyKey> = [],
): string {
  let text = '';
  for (const key of [...prefix, ...path]) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text;
}

/** Characters shown on each side of an error's position. */
const CARET_CONTEXT = 30;

/**
 * The text around `position` (at most 30 characters each side, `…` where cut; tabs and newlines
 * shown as spaces) and a marker with `^` under the position, for `source`/`marker` of a field
 * error (expressions, JSON bodies).
 */
export function caret(text: string, position: number): { position: number; source: string; marker: string } {
  const start = Math.max(0, position - CARET_CONTEXT);
  const end = Math.min(text.length, position + CARET_CONTEXT);
  const lead = start > 0 ? '…' : '';
  const source = `${lead}${text.slice(start, end).replace(/[\t\n\r]/g, ' ')}${end < text.length ? '…' : ''}`;
  return { position, source, marker: `${' '.repeat(lead.length + position - start)}^` };
}

type Issue = z.core.$ZodIssue;

/** A non-discriminated union's members all refuse `key` at the union's root: the keys of them all. */
function unionAllowedKeys(members: readonly (readonly Issue[])[], key: string): string[] | null {
  const allowed = new Set<string>();
  for (const member of members) {
    const refusal = member.find(
      (issue) => issue.code === 'unrecognized_keys' && issue.path.length === 0 && issue.keys.includes(key),
    ) as UnrecognizedKeysIssue | undefined;
    if (refusal === undefined) return null;
    for (const name of refusal.allowed ?? []) allowed.add(name);
  }
  return [...allowed];
}

function collect(
  issues: readonly Issue[],
  prefix: ReadonlyArray<PropertyKey>,
  errors: FieldError[],
  union: readonly (readonly Issue[])[] | null,
): void {
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      // One error per unknown key, so the path names the offending field itself.
      const own = (issue as UnrecognizedKeysIssue).allowed;
      for (const key of issue.keys) {
        const allowed = (union && issue.path.length === 0 ? unionAllowedKeys(union, key) : null) ?? own;
        errors.push({
          path: formatPath([...issue.path, key], prefix),
          message: allowed === undefined ? `unknown field '${key}'` : unknownFieldMessage(key, allowed),
        });
      }
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // A union reports its members' issues; report those of the closest member.
      const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      if (closest.length === 0) errors.push({ path: formatPath(issue.path, prefix), message: issue.message });
      collect(closest, [...prefix, ...issue.path], errors, issue.errors);
    } else {
      const error: FieldError = { path: formatPath(issue.path, prefix), message: issue.message };
      const params = (issue as { params?: Partial<FieldError> }).params;
      if (issue.code === 'custom' && typeof params?.position === 'number') {
        error.position = params.position;
        if (params.source !== undefined) error.source = params.source;
        if (params.marker !== undefined) error.marker = params.marker;
      }
      errors.push(error);
    }
  }
}

/**
 * Field errors of a zod error (worded by src/schemas/issue-messages.ts), unknown fields first: a
 * misspelt field (`optimiser`) is the cause of the `required` that follows it (`optimizer`).
 */
export function fieldErrorsFromZod(error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): FieldError[] {
  const errors: FieldError[] = [];
  collect(error.issues, prefix, errors, null);
  const unknown = errors.filter((entry) => entry.message.startsWith('unknown field'));
  return unknown.length === 0 ? errors : [...unknown, ...errors.filter((entry) => !unknown.includes(entry))];
}

/** Field errors shown in `detail` before "(and N more: see errors)". */
const DETAIL_ERRORS = 3;

export function validationProblem(errors: FieldError[], title = 'Invalid request'): Problem {
  const first = errors[0];
  return {
    type: 'https://descent.dev/problems/validation',
    title,
    status: 400,
    detail: first ? detailOf(errors) : title,
    errors,
  };
}

/** The first few field errors, `path: message` joined by ` | `, then how many more `errors` holds. */
function detailOf(errors: readonly FieldError[]): string {
  const shown = errors.slice(0, DETAIL_ERRORS).map((error) => `${error.path || '(body)'}: ${error.message}`);
  const more = errors.length - shown.length;
  return more > 0 ? `${shown.join(' | ')} | (and ${more} more: see errors)` : shown.join(' | ');
}
