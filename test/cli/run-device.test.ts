import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runOnDeviceToCompletion } from '../../src/core/backends/gpu-run.ts';
import { describeGpu, useTestDevice } from '../core/backends/gpu-device.ts';
import { modelJob } from '../core/models/run-helpers.ts';
import { spec, withoutTime } from '../core/spec-helpers.ts';

/**
 * `descent run` and `device` on this machine, whose adapter is llvmpipe (software): `gpu` runs on
 * it, `auto` does not unless GPU_AUTO_SOFTWARE says so, and with no adapter at all (the Vulkan
 * loader pointed at a driver file that does not exist) `gpu` exits 2 naming `device`.
 */

const bin = join(import.meta.dirname, '../../bin/descent.js');

function descent(input: unknown, env: Record<string, string> = {}) {
  const child = spawnSync(process.execPath, [bin, 'run', '-'], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** The problem+json on stderr (after any lines the Vulkan loader or Dawn print). */
function problemOf(stderr: string): { status: number; errors: { path: string; message: string }[] } {
  return JSON.parse(stderr.slice(stderr.search(/^\{/m)));
}

const input = {
  objective: { type: 'builtin', name: 'rosenbrock', dim: 2000 },
  optimizer: { name: 'adam', lr: 0.001 },
  stop: { maxIterations: 200 },
  record: { every: 20 },
  seed: 5,
};

describeGpu('descent run with device', () => {
  const gpu = useTestDevice();

  it('gpu: runs on the adapter, as the core runs the spec on it', async () => {
    const { status, stdout } = descent({ ...input, device: 'gpu' });
    expect(status).toBe(0);
    const output = JSON.parse(stdout);
    const expected = await runOnDeviceToCompletion(gpu.backend, spec({ ...input, device: 'gpu' }));
    expect(output.result.device).toEqual({ kind: 'gpu', precision: 'float32', adapter: gpu.adapter });
    expect({ ...output.result, wallMs: 0 }).toEqual({ ...expected.result, wallMs: 0 });
    expect(withoutTime(output.trajectory)).toEqual(withoutTime(expected.trajectory));
  });

  it('auto: the CPU on a software adapter, the GPU past GPU_AUTO_MIN_DIM once GPU_AUTO_SOFTWARE allows it', () => {
    const cpu = { kind: 'cpu', precision: 'float64', adapter: null };
    const auto = { ...input, device: 'auto' };
    expect(JSON.parse(descent(auto, { GPU_AUTO_MIN_DIM: '1000' }).stdout).result.device).toEqual(cpu);
    const allowed = { GPU_AUTO_MIN_DIM: '1000', GPU_AUTO_SOFTWARE: 'true' };
    expect(JSON.parse(descent(auto, allowed).stdout).result.device.kind).toBe('gpu');
    expect(JSON.parse(descent(auto, { ...allowed, GPU_AUTO_MIN_DIM: '2001' }).stdout).result.device).toEqual(
      cpu,
    );
  });

  it('gpu with a model on inline rows: trains on the adapter, as the core trains it there', async () => {
    const model = {
      objective: {
        type: 'model',
        model: 'mlp',
        hidden: [6],
        batchSize: 8,
        data: {
          inline: {
            X: Array.from({ length: 40 }, (_, r) => [Math.cos(r), Math.sin(r * 1.3), r % 3]),
            y: Array.from({ length: 40 }, (_, r) => (r % 3 === 0 ? 'a' : 'b')),
          },
        },
      },
      optimizer: { name: 'adam', lr: 0.05 },
      stop: { maxIterations: 60 },
      seed: 5,
      device: 'gpu',
    };
    const { status, stdout } = descent(model);
    expect(status).toBe(0);
    const output = JSON.parse(stdout);
    const job = modelJob(model);
    const expected = await runOnDeviceToCompletion(gpu.backend, job.spec, { dataset: job.dataset });
    expect(output.result.device).toEqual({ kind: 'gpu', precision: 'float32', adapter: gpu.adapter });
    expect(output.result.validation).toEqual(expected.result.validation);
    expect({ ...output.result, wallMs: 0 }).toEqual({ ...expected.result, wallMs: 0 });
    expect(withoutTime(output.trajectory)).toEqual(withoutTime(expected.trajectory));
  });

  it('gpu without an adapter: exit 2 with a problem naming device', () => {
    const { status, stdout, stderr } = descent(
      { ...input, device: 'gpu' },
      { VK_ICD_FILENAMES: '/nonexistent/icd.json' },
    );
    expect(status).toBe(2);
    expect(stdout).toBe('');
    const problem = problemOf(stderr);
    expect(problem.status).toBe(400);
    expect(problem.errors).toHaveLength(1);
    expect(problem.errors[0].path).toBe('device');
    expect(problem.errors[0].message).toMatch(
      /^"gpu" cannot run here: no WebGPU adapter found\..*Vulkan loader: /,
    );
  });

  it('gpu with newton or lbfgs: exit 2 naming device, before looking for an adapter', () => {
    for (const name of ['newton', 'lbfgs']) {
      const { status, stderr } = descent({ ...input, optimizer: { name }, device: 'gpu' });
      expect(status).toBe(2);
      expect(problemOf(stderr).errors).toEqual([
        {
          path: 'device',
          message: `"gpu" is not available for this spec: ${name} runs on the CPU; use "cpu", or "auto" to run it where it can`,
        },
      ]);
    }
  });
});
