import { readFile } from 'node:fs/promises';
import { jsonSyntaxError } from '../schemas/json-syntax.ts';
import type { Problem } from '../schemas/problem.ts';

/**
 * What `descent run` and `descent submit` share: reading a spec from a file or stdin (`-`), and
 * the exit convention — an `ExitError` carries the text for stderr and the exit code (2 with a
 * problem+json when the input is at fault).
 */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** A command line that does not say what to do: the message, then the usage, exit 2. */
export class UsageError extends Error {}

/** The spec argument of `run` and `submit`; without it the command line is a usage error. */
export function specArgument(command: string, positionals: readonly string[]): string {
  const source = positionals[0];
  if (source === undefined)
    throw new UsageError(`${command}: missing <spec.json | -> (a file, or - for stdin)`);
  return source;
}

export function problemText(problem: Problem | unknown): string {
  return JSON.stringify(problem, null, 2);
}

export function inputProblem(title: string, detail: string, errors?: Problem['errors']): ExitError {
  const problem: Problem = { type: 'https://descent.dev/problems/invalid-input', title, status: 400, detail };
  if (errors) problem.errors = errors;
  return new ExitError(problemText(problem), 2);
}

/** Reads and parses the spec named on the command line; throws ExitError(2) with a problem+json. */
export async function readSpecJson(source: string): Promise<unknown> {
  let text: string;
  if (source === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  } else {
    try {
      text = await readFile(source, 'utf8');
    } catch (error) {
      throw inputProblem('Spec file not readable', (error as Error).message);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    // The same wording as the API's 400: line, column, offset and a caret.
    const syntax = jsonSyntaxError(text) ?? { path: '', message: (error as Error).message };
    throw inputProblem('Invalid JSON', syntax.message, [syntax]);
  }
}
