import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { runToCompletion } from '../../src/core/index.ts';
import { spec } from './spec-helpers.ts';

/**
 * The core runs in the browser too (the dashboard): it must bundle for `platform: 'browser'`
 * with nothing from Node, and the bundle must run a job to the same result as the core here.
 */
describe('the core bundles for a browser', () => {
  it('bundles with esbuild for the browser and runs a job from the bundle, bit for bit', async () => {
    const bundle = await build({
      entryPoints: ['src/core/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'descentCore',
      write: false,
      logLevel: 'silent',
    });
    expect(bundle.errors).toEqual([]);
    const code = bundle.outputFiles[0].text;
    expect(code).not.toMatch(/\brequire\(|from ["']node:/);

    const job = spec({
      objective: { type: 'builtin', name: 'rosenbrock' },
      optimizer: { name: 'adam', lr: 0.01 },
      stop: { maxIterations: 300 },
    });
    // A bare context: no require, process or Buffer; only what a page has that the core uses.
    const context: Record<string, unknown> = { performance, crypto };
    runInNewContext(`${code}\nglobalThis.descentCore = descentCore;`, context);
    const core = context.descentCore as typeof import('../../src/core/index.ts');
    const fromBundle = core.runToCompletion(JSON.parse(JSON.stringify(job)));
    const here = runToCompletion(job);
    expect(fromBundle.result.iterations).toBe(300);
    expect(fromBundle.result.x).toEqual(here.result.x);
    expect(fromBundle.result.f).toBe(here.result.f);
    expect(fromBundle.trajectory.map((point) => point.f)).toEqual(here.trajectory.map((point) => point.f));
  });
});
