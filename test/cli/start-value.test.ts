import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '../../bin/descent.js');

describe('descent run with f not finite at the start', () => {
  it('exits 2 with problem+json that names start and suggests start.x0 (it ran and printed a diverged result)', () => {
    const input = {
      objective: { type: 'expression', expression: 'log(x)' },
      optimizer: { name: 'sgd' },
      seed: 1,
    };
    const child = spawnSync(process.execPath, [bin, 'run', '-'], {
      input: JSON.stringify(input),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status).toBe(2);
    expect(child.stdout).toBe('');
    const problem = JSON.parse(child.stderr);
    expect(problem).toMatchObject({ status: 400, title: 'Invalid job spec' });
    expect(problem.errors).toEqual([
      {
        path: 'start',
        message:
          'f is not finite at the default start x₀ = (0) (f(x₀) = -Infinity), so the run could not take a step: give a start where f is defined with start.x0',
      },
    ]);
  });
});
