import { readFile } from 'node:fs/promises';
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

export function problemText(problem: Problem | unknown): string {
  return JSON.stringify(problem, null, 2);
}

export function inputProblem(title: string, detail: string, errors?: Problem['errors']): ExitError {
  const problem: Problem = { type: 'https://descent.dev/problems/invalid-input', title, status: 400, detail };
  if (errors) problem.errors = errors;
  return new ExitError(problemText(problem), 2);
}

/** Reads and parses the spec named on the command line; throws ExitError(2) with a problem+json. */
export async function readSpecJson(source: string | undefined): Promise<unknown> {
  if (source === undefined) throw inputProblem('Invalid command line', 'missing <spec.json | ->');
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
    const message = (error as Error).message;
    throw inputProblem('Invalid JSON', message, [{ path: '', message }]);
  }
}
