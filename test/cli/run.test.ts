import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runToCompletion } from '../../src/core/run.ts';
import { spec, withoutTime } from '../core/spec-helpers.ts';

const bin = join(import.meta.dirname, '../../bin/descent.js');

function descent(args: string[], input?: string) {
  const child = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

describe('descent run', () => {
  it('runs a spec from stdin and prints {spec, result, trajectory} like the core', () => {
    const input = {
      objective: { type: 'builtin', name: 'rosenbrock' },
      optimizer: { name: 'lbfgs' },
      seed: 7,
    };
    const { status, stdout, stderr } = descent(['run', '-'], JSON.stringify(input));
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const output = JSON.parse(stdout);
    const expected = runToCompletion(spec(input));
    expect(output.spec).toEqual(spec(input));
    expect(output.spec.optimizer).toMatchObject({ name: 'lbfgs', lr: 1, history: 10 });
    expect(output.result.stopReason).toBe('grad_tol');
    expect(output.result.x).toEqual(expected.result.x);
    expect(withoutTime(output.trajectory)).toEqual(withoutTime(expected.trajectory));
  });

  it('reads a spec file and resolves a seed when none is given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-cli-'));
    const file = join(dir, 'spec.json');
    writeFileSync(
      file,
      JSON.stringify({ objective: { type: 'builtin', name: 'sphere', dim: 3 }, optimizer: { name: 'sgd' } }),
    );
    const { status, stdout } = descent(['run', file]);
    expect(status).toBe(0);
    const output = JSON.parse(stdout);
    expect(Number.isInteger(output.spec.seed)).toBe(true);
    expect(output.spec.start).toEqual({ x0: [1, 1.5, 1] }); // sphere's standard start repeats (1, 1.5)
    expect(output.trajectory[0].i).toBe(0);
  });

  it('exits 2 with problem+json naming the field when the spec is invalid', () => {
    const input = { objective: { type: 'builtin', name: 'sphere' }, optimizer: { name: 'adam', lr: -1 } };
    const { status, stdout, stderr } = descent(['run', '-'], JSON.stringify(input));
    expect(status).toBe(2);
    expect(stdout).toBe('');
    const problem = JSON.parse(stderr);
    expect(problem).toMatchObject({ status: 400, title: 'Invalid job spec' });
    expect(problem.errors).toContainEqual(expect.objectContaining({ path: 'optimizer.lr' }));
  });

  it('prints its usage, not a problem, and exits 2 when the spec argument is missing', () => {
    const { status, stdout, stderr } = descent(['run']);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^descent: run: missing <spec\.json \| ->/);
    expect(stderr).toContain('usage:\n  descent run <spec.json | ->');
    expect(stderr).not.toContain('"type"');
  });

  it('gives the same messages as the API: unknown field first with its nearest match, then required', () => {
    const { status, stderr } = descent(
      ['run', '-'],
      JSON.stringify({ objective: { type: 'builtin', name: 'sphere' }, optimiser: { name: 'adam' } }),
    );
    expect(status).toBe(2);
    const problem = JSON.parse(stderr);
    expect(problem.detail).toMatch(
      /^optimiser: unknown field 'optimiser' \(did you mean 'optimizer'\?\); allowed: /,
    );
    expect(problem.errors.map((error: { path: string }) => error.path)).toEqual(['optimiser', 'optimizer']);
    expect(problem.errors[1].message).toBe('required');
  });

  it('exits 2 on malformed JSON with its line, column and offset, and on an invalid expression with a caret', () => {
    const malformed = descent(['run', '-'], '{"objective":\n  {"type": builtin}}');
    expect(malformed.status).toBe(2);
    const syntax = JSON.parse(malformed.stderr);
    expect(syntax.title).toBe('Invalid JSON');
    expect(syntax.detail).toBe("invalid JSON at line 2, column 12 (offset 25): unexpected 'builtin'");
    expect(syntax.errors[0]).toMatchObject({ path: '', position: 25 });
    const { status, stderr } = descent(
      ['run', '-'],
      JSON.stringify({
        objective: { type: 'expression', expression: '(x + 1))' },
        optimizer: { name: 'sgd' },
      }),
    );
    expect(status).toBe(2);
    const problem = JSON.parse(stderr);
    expect(problem.errors[0].path).toBe('objective.expression');
    expect(problem.errors[0]).toEqual({
      path: 'objective.expression',
      message: "unexpected ')' at 7",
      position: 7,
      source: '(x + 1))',
      marker: '       ^',
    });
  });
});
