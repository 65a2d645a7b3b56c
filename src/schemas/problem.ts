import type { z } from 'zod';

/** One field-level error of a problem document: `path` is dotted, indices in brackets (`start.x0[2]`). */
export interface FieldError {
  path: string;
  message: string;
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

export function fieldErrorsFromZod(error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      // One error per unknown key, so the path names the offending field itself.
      for (const key of issue.keys) {
        errors.push({ path: formatPath([...issue.path, key], prefix), message: `unknown field '${key}'` });
      }
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // A discriminated union reports its members' issues; report those of the closest member.
      const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      if (closest.length === 0) errors.push({ path: formatPath(issue.path, prefix), message: issue.message });
      for (const inner of closest) {
        errors.push({ path: formatPath([...issue.path, ...inner.path], prefix), message: inner.message });
      }
    } else {
      errors.push({ path: formatPath(issue.path, prefix), message: issue.message });
    }
  }
  return errors;
}

export function validationProblem(errors: FieldError[], title = 'Invalid request'): Problem {
  const first = errors[0];
  return {
    type: 'https://descent.dev/problems/validation',
    title,
    status: 400,
    detail: first ? `${first.path || '(body)'}: ${first.message}` : title,
    errors,
  };
}
