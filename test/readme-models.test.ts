import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runModel } from './core/models/run-helpers.ts';

/** Every ```json model block of the README ("Models and datasets") is a valid model spec that runs. */

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/^```json model\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');

describe('README "Models and datasets"', () => {
  it('has its blocks', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(1);
  });

  it.each(blocks.map((text, k) => [k, text]))('block %i is valid and trains', (_k, text) => {
    const { result, trajectory } = runModel(JSON.parse(text));
    expect(result.stopReason).not.toBe('diverged');
    expect(trajectory.every((point) => typeof point.valF === 'number')).toBe(true);
    expect(result.validation?.accuracy).toBeGreaterThanOrEqual(0.95);
  });
});
