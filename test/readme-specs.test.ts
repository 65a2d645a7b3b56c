import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_NAMES } from '../src/core/objectives/builtins/index.ts';
import { runToCompletion } from '../src/core/run.ts';
import { normalizeJobSpec } from '../src/schemas/job-spec.ts';
import { OPTIMIZER_NAMES } from '../src/schemas/optimizer.ts';
import { SCHEDULE_TYPES } from '../src/schemas/schedule.ts';

/**
 * Every ```json spec block of the README ("Job spec by example") is a valid spec that runs, as
 * `descent run` would run it (normalizeJobSpec, then runToCompletion; two through the real CLI),
 * and together the blocks show every feature they claim to.
 */

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/^```json spec\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
interface ReadmeSpec {
  objective: { type: string; name?: string; params?: Record<string, unknown>; variables?: string[] };
  optimizer: { name: string; [option: string]: unknown };
  schedule?: { type: string; warmup?: { steps: number; startFactor?: number } };
  start?: Record<string, unknown>;
  stop?: Record<string, unknown>;
  gradientNoise?: unknown;
  [field: string]: unknown;
}

const specs = blocks.map((text) => JSON.parse(text) as ReadmeSpec);

/** The spec as the run sees it, its iterations capped so that the whole table runs in seconds. */
function normalised(input: unknown) {
  const result = normalizeJobSpec(input);
  if (!result.ok) throw new Error(`README spec is invalid: ${JSON.stringify(result.errors)}`);
  return result.spec;
}

describe('README "Job spec by example"', () => {
  it('has its blocks', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(20);
  });

  it.each(specs.map((spec, k) => [k, spec]))('block %i is valid and runs', (_k, input) => {
    const spec = normalised(input);
    const capped = { ...spec, stop: { ...spec.stop, maxIterations: Math.min(spec.stop.maxIterations, 300) } };
    const { result, trajectory } = runToCompletion(capped);
    expect(result.iterations).toBeGreaterThan(0);
    expect(result.iterations).toBeLessThanOrEqual(capped.stop.maxIterations);
    expect(trajectory[0]?.i).toBe(0);
    expect(trajectory.at(-1)?.i).toBe(result.iterations);
    expect(Number.isFinite(result.f)).toBe(true);
    expect(result.stopReason).not.toBe('diverged');
  });

  it('shows every optimizer with every option, every schedule, warmup, every start and every stop rule', () => {
    expect(new Set(specs.map((spec) => spec.optimizer.name))).toEqual(new Set(OPTIMIZER_NAMES));
    const full = (name: string) =>
      specs.some((spec) => {
        if (spec.optimizer.name !== name) return false;
        const all = Object.keys(normalised(spec).optimizer).filter((key) => key !== 'clipNorm');
        return all.every((key) => key in spec.optimizer);
      });
    for (const name of OPTIMIZER_NAMES) expect(full(name), name).toBe(true);
    expect(specs.some((spec) => spec.optimizer.clipNorm !== undefined)).toBe(true);
    const hessians = specs
      .filter((spec) => spec.optimizer.name === 'newton')
      .map((spec) => spec.optimizer.hessian);
    expect(hessians).toEqual(expect.arrayContaining(['saddle_free', 'damped']));

    expect(new Set(specs.flatMap((spec) => (spec.schedule ? [spec.schedule.type] : [])))).toEqual(
      new Set(SCHEDULE_TYPES),
    );
    expect(
      specs.some(
        (spec) => (spec.schedule?.warmup?.steps ?? 0) > 0 && spec.schedule?.warmup?.startFactor !== undefined,
      ),
    ).toBe(true);
    expect(new Set(specs.flatMap((spec) => (spec.start ? Object.keys(spec.start) : [])))).toEqual(
      new Set(['x0', 'random', 'standard']),
    );
    expect(specs.some((spec) => spec.start === undefined)).toBe(true);
    const stopRules = new Set(specs.flatMap((spec) => Object.keys(spec.stop ?? {})));
    for (const rule of ['maxIterations', 'gradTol', 'fTol', 'targetValue', 'maxSeconds'])
      expect(stopRules).toContain(rule);
  });

  it('shows both objective types, builtin parameters, gradient noise, record, label, seed and device', () => {
    expect(new Set(specs.map((spec) => spec.objective.type))).toEqual(new Set(['builtin', 'expression']));
    const parameterised = specs
      .filter((spec) => spec.objective.params !== undefined)
      .map((spec) => spec.objective.name);
    expect(parameterised).toEqual(expect.arrayContaining(['quadratic', 'rosenbrock', 'ackley', 'rastrigin']));
    const quadratic = specs.find((spec) => spec.objective.name === 'quadratic');
    expect(quadratic?.objective.params).toEqual({ conditionNumber: 1000, rotate: true });
    expect(specs.some((spec) => spec.objective.variables !== undefined)).toBe(true);
    for (const name of specs.map((spec) => spec.objective.name).filter(Boolean))
      expect(BUILTIN_NAMES).toContain(name);
    const extras = specs.find((spec) => spec.gradientNoise !== undefined);
    expect(extras).toMatchObject({
      gradientNoise: { std: 0.5 },
      record: { every: 10, params: true, maxPoints: 500 },
      label: 'noisy-sgd',
      seed: 2024,
      device: 'cpu',
    });
  });

  it('runs through the real CLI the same as through the core', () => {
    const bin = join(import.meta.dirname, '../bin/descent.js');
    for (const input of [specs[0], specs.find((spec) => spec.objective.type === 'expression')]) {
      const child = spawnSync(process.execPath, [bin, 'run', '-'], {
        input: JSON.stringify(input),
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(child.stderr).toBe('');
      expect(child.status).toBe(0);
      const output = JSON.parse(child.stdout);
      const expected = runToCompletion(normalised({ ...input, seed: output.spec.seed }));
      expect(output.result.x).toEqual(expected.result.x);
      expect(output.result.stopReason).toBe(expected.result.stopReason);
    }
  });
});
