import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * The WebGPU backend is core code: it must bundle for a browser with nothing from Node (the
 * device comes from the page's navigator.gpu; only src/gpu/device.ts, outside the core, loads
 * Dawn). Needs no adapter.
 */
describe('the compute backends bundle for a browser', () => {
  it('bundles src/core/backends with esbuild for the browser, with no Node import', async () => {
    const bundle = await build({
      entryPoints: ['src/core/backends/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      metafile: true,
    });
    expect(bundle.errors).toEqual([]);
    const code = bundle.outputFiles[0].text;
    expect(code).not.toMatch(/\brequire\(|from ["']node:|["']webgpu["']/);
    expect(code).toMatch(/\bGpuRun\b/);
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.filter((input) => input.startsWith('src/') && !input.startsWith('src/core/'))).toEqual([]);
    expect(inputs.filter((input) => input.includes('node_modules/webgpu/'))).toEqual([]);
  });
});
