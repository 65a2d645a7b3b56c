import { afterAll, expect, it } from 'vitest';
import { deviceUnsupportedReason } from '../../../src/core/backends/device-problem.ts';
import { GpuRun, type GpuRunCheckpoint } from '../../../src/core/backends/gpu-run.ts';
import { Run, type RunCheckpoint, runToCompletion } from '../../../src/core/run.ts';
import type { TrajectoryPoint } from '../../../src/core/types.ts';
import { type JobSpec, normalizeJobSpec } from '../../../src/schemas/job-spec.ts';
import { DEFAULT_LIMITS } from '../../../src/schemas/limits.ts';
import { spec, withoutTime } from '../spec-helpers.ts';
import { describeGpu, type TestDevice, useTestDevice } from './gpu-device.ts';

/**
 * GpuRun against the CPU Run: the same iteration semantics, stop rules, trajectory and
 * checkpoints, in float32. Where float32 and float64 take the same path, iterations and stop
 * reasons agree exactly and values to float32 accuracy.
 */

interface Finished {
  run: GpuRun;
  trajectory: TrajectoryPoint[];
}

async function runOnDevice(gpu: TestDevice, jobSpec: JobSpec, options: { checkpoint?: RunCheckpoint } = {}) {
  const run = await GpuRun.create(gpu.backend, jobSpec, options);
  const trajectory = run.takePoints();
  while (!(await run.advance(50))) trajectory.push(...run.takePoints());
  trajectory.push(...run.takePoints());
  return { run, trajectory } satisfies Finished;
}

/** |a − b| / max(|b|, floor): relative, with a floor for values near 0. */
function relativeDifference(a: number, b: number, floor = 1e-30): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), floor);
}

describeGpu('GpuRun (WebGPU) against the CPU Run', () => {
  const gpu = useTestDevice();
  const runs: GpuRun[] = [];
  // After hooks run in reverse: the runs' buffers go before the device.
  afterAll(() => {
    for (const run of runs) run.destroy();
  });
  const onDevice = async (jobSpec: JobSpec, options: { checkpoint?: RunCheckpoint } = {}) => {
    const finished = await runOnDevice(gpu, jobSpec, options);
    runs.push(finished.run);
    return finished;
  };

  const sameAsCpu: [string, Record<string, unknown>][] = [
    [
      'adam on 2-D rosenbrock',
      { objective: { type: 'builtin', name: 'rosenbrock' }, optimizer: { name: 'adam', lr: 0.01 } },
    ],
    [
      'nesterov momentum with clipNorm on a 50-dim rosenbrock',
      {
        objective: { type: 'builtin', name: 'rosenbrock', dim: 50 },
        optimizer: { name: 'momentum', lr: 1e-4, nesterov: true, clipNorm: 10 },
      },
    ],
    [
      'adamw with amsgrad and a cosine schedule on ackley',
      {
        objective: { type: 'builtin', name: 'ackley', dim: 20 },
        optimizer: { name: 'adamw', lr: 0.05, amsgrad: true, weightDecay: 0.05 },
        schedule: { type: 'cosine', warmup: { steps: 10, startFactor: 0.1 } },
      },
    ],
    [
      'rmsprop on rastrigin',
      {
        objective: { type: 'builtin', name: 'rastrigin', dim: 30 },
        optimizer: { name: 'rmsprop', lr: 0.003 },
      },
    ],
    [
      'adagrad on styblinski_tang',
      {
        objective: { type: 'builtin', name: 'styblinski_tang', dim: 40 },
        optimizer: { name: 'adagrad', lr: 0.2 },
      },
    ],
    [
      'sgd with a step schedule on an ill-conditioned quadratic',
      {
        objective: { type: 'builtin', name: 'quadratic', dim: 3000, params: { conditionNumber: 100 } },
        optimizer: { name: 'sgd', lr: 0.015 },
        schedule: { type: 'step', stepSize: 100, gamma: 0.5 },
      },
    ],
  ];

  for (const [name, input] of sameAsCpu) {
    it(`${name}: the same points, lr and result as the CPU, to float32 accuracy`, async () => {
      // gradTol 0: ‖g‖ <= 1e-8 is reachable in float64, not in float32.
      const jobSpec = spec({
        ...input,
        stop: { maxIterations: 300, fTol: null, gradTol: 0 },
        record: { every: 25, params: true },
      });
      const cpu = runToCompletion(jobSpec);
      const { run, trajectory } = await onDevice(jobSpec);
      const result = await run.result();
      expect(result.stopReason).toBe('max_iterations');
      expect(result.iterations).toBe(300);
      expect(result.evaluations).toEqual(cpu.result.evaluations);
      expect(result.device).toEqual({ kind: 'gpu', precision: 'float32', adapter: gpu.adapter });
      expect(trajectory.map((p) => p.i)).toEqual(cpu.trajectory.map((p) => p.i));
      trajectory.forEach((point, k) => {
        const expected = cpu.trajectory[k];
        expect(relativeDifference(point.lr, expected.lr), `lr at ${point.i}`).toBeLessThan(1e-7);
        expect(relativeDifference(point.f, expected.f, 1e-6), `f at ${point.i}`).toBeLessThan(1e-4);
        expect(point.x).toHaveLength(jobSpec.objective.type === 'builtin' ? jobSpec.objective.dim : 0);
      });
      expect(relativeDifference(result.f, cpu.result.f, 1e-6)).toBeLessThan(1e-4);
      expect(result.x).toEqual(trajectory.at(-1)?.x);
      // Where f flattens out, which float iterate is lowest is a matter of rounding: compare f.
      expect(relativeDifference(result.best.f, cpu.result.best.f, 1e-6)).toBeLessThan(1e-4);
    });
  }

  it('stops on gradTol mid-batch with the exact stop iteration and its x', async () => {
    // sgd with lr 0.5 on the sphere lands on 0 in one step, in float32 too.
    const jobSpec = spec({
      objective: { type: 'builtin', name: 'sphere', dim: 3 },
      optimizer: { name: 'sgd', lr: 0.5 },
      start: { x0: [3, 4, -1] },
    });
    const { run, trajectory } = await onDevice(jobSpec);
    expect(await run.result()).toMatchObject({
      stopReason: 'grad_tol',
      converged: true,
      iterations: 1,
      x: [0, 0, 0],
      f: 0,
    });
    expect(trajectory.map((p) => p.i)).toEqual([0, 1]);
  });

  it('stops on targetValue at the CPU iteration, several steps into a batch', async () => {
    // sgd with lr 0.1 on the sphere: f shrinks by 0.64 a step; f <= 1e-3 first holds at i = 19.
    const jobSpec = spec({
      objective: { type: 'builtin', name: 'sphere', dim: 2 },
      optimizer: { name: 'sgd', lr: 0.1 },
      start: { x0: [1, 1.5] },
      stop: { targetValue: 1e-3 },
      record: { every: 1, params: true },
    });
    const cpu = runToCompletion(jobSpec).result;
    const { run, trajectory } = await onDevice(jobSpec);
    const result = await run.result();
    expect(cpu).toMatchObject({ stopReason: 'target_value', iterations: 19 });
    expect(result).toMatchObject({ stopReason: 'target_value', converged: true, iterations: 19 });
    expect(result.x?.[0]).toBeCloseTo(cpu.x?.[0] ?? Number.NaN, 6);
    expect(trajectory.at(-1)).toMatchObject({ i: 19, x: result.x });
  });

  it('stops on fTol when f no longer changes', async () => {
    const jobSpec = spec({
      objective: { type: 'builtin', name: 'rosenbrock' },
      optimizer: { name: 'sgd', lr: 1e-4 },
      stop: { fTol: 1e-3, maxIterations: 100000 },
    });
    const cpu = runToCompletion(jobSpec).result;
    const result = await (await onDevice(jobSpec)).run.result();
    expect(result.stopReason).toBe('f_tol');
    expect(Math.abs(result.iterations - cpu.iterations)).toBeLessThanOrEqual(1);
  });

  it('diverges like the CPU: x and f of the last healthy iterate, the trajectory ending there', async () => {
    const jobSpec = spec({
      objective: { type: 'builtin', name: 'sphere', dim: 3 },
      optimizer: { name: 'sgd', lr: 1.5 },
      stop: { maxIterations: 500 },
      record: { every: 100, params: true },
    });
    const cpu = runToCompletion(jobSpec);
    const { run, trajectory } = await onDevice(jobSpec);
    const result = await run.result();
    expect(result).toMatchObject({
      stopReason: 'diverged',
      converged: false,
      iterations: cpu.result.iterations,
    });
    expect(relativeDifference(result.f, cpu.result.f)).toBeLessThan(1e-6);
    expect(trajectory.map((p) => p.i)).toEqual(cpu.trajectory.map((p) => p.i));
    expect(trajectory.at(-1)?.x).toEqual(result.x);
    result.x?.forEach((value, j) => {
      expect(relativeDifference(value, cpu.result.x?.[j] ?? Number.NaN)).toBeLessThan(1e-6);
    });
  });

  it('maxIterations 0 evaluates the start only', async () => {
    const jobSpec = spec({
      objective: { type: 'builtin', name: 'rosenbrock' },
      optimizer: { name: 'adam' },
      stop: { maxIterations: 0 },
    });
    const { run, trajectory } = await onDevice(jobSpec);
    expect(await run.result()).toMatchObject({
      stopReason: 'max_iterations',
      iterations: 0,
      x: [Math.fround(-1.2), 1],
    });
    expect(trajectory).toHaveLength(1);
    expect(trajectory[0]).toMatchObject({ i: 0, lr: Math.fround(0.001), x: [Math.fround(-1.2), 1] });
    expect(relativeDifference(trajectory[0].f, 24.2)).toBeLessThan(1e-6);
  });

  it('a plateau schedule scales lr on the device as the CPU does', async () => {
    const jobSpec = spec({
      objective: { type: 'builtin', name: 'rosenbrock', dim: 2 },
      optimizer: { name: 'adam', lr: 0.05 },
      schedule: { type: 'plateau', factor: 0.5, patience: 5, threshold: 0.01, warmup: { steps: 4 } },
      stop: { maxIterations: 400, fTol: null },
      record: { every: 1 },
    });
    const cpu = runToCompletion(jobSpec);
    const { trajectory } = await onDevice(jobSpec);
    const cpuLr = cpu.trajectory.map((p) => Math.fround(p.lr));
    expect(new Set(cpuLr).size).toBeGreaterThan(4); // warmup ramp and several reductions
    expect(trajectory.map((p) => p.lr)).toEqual(cpuLr);
  });

  it('reads back in batches: far fewer device round trips than iterations', async () => {
    const jobSpec = spec({
      objective: { type: 'builtin', name: 'sphere', dim: 100 },
      optimizer: { name: 'sgd', lr: 1e-4 },
      stop: { maxIterations: 3000, fTol: null },
      record: { every: 1000 },
    });
    const { run, trajectory } = await onDevice(jobSpec);
    expect(trajectory.map((p) => p.i)).toEqual([0, 1000, 2000, 3000]);
    expect(run.batches).toBeLessThan(3000 / 4);
  });

  it('Adam on a 1,000,000-dim quadratic converges like the CPU run', async () => {
    const jobSpec = spec({
      objective: { type: 'builtin', name: 'quadratic', dim: 1_000_000 },
      optimizer: { name: 'adam', lr: 0.01 },
      stop: { maxIterations: 60, fTol: null, gradTol: 0 },
      record: { every: 20 },
    });
    const cpu = runToCompletion(jobSpec);
    const { run, trajectory } = await onDevice(jobSpec);
    const result = await run.result(10_000);
    expect(result).toMatchObject({ stopReason: 'max_iterations', iterations: 60, x: null });
    expect(trajectory.map((p) => p.i)).toEqual([0, 20, 40, 60]);
    // f falls to a fifth, on the same path as the CPU's.
    expect(result.f).toBeLessThan(trajectory[0].f / 4);
    trajectory.forEach((point, k) => {
      expect(relativeDifference(point.f, cpu.trajectory[k].f), `f at ${point.i}`).toBeLessThan(1e-5);
      expect(
        relativeDifference(point.gradNorm, cpu.trajectory[k].gradNorm),
        `‖g‖ at ${point.i}`,
      ).toBeLessThan(1e-5);
    });
  });

  for (const [name, input] of [
    [
      'adam with a plateau schedule',
      {
        objective: { type: 'builtin', name: 'rosenbrock', dim: 8 },
        optimizer: { name: 'adam', lr: 0.02, amsgrad: true },
        schedule: { type: 'plateau', factor: 0.5, patience: 3, threshold: 0.001 },
      },
    ],
    [
      'momentum, best iterate behind the current one',
      {
        objective: { type: 'builtin', name: 'rastrigin', dim: 6 },
        optimizer: { name: 'momentum', lr: 0.002, rho: 0.95 },
      },
    ],
  ] as const) {
    it(`${name}: checkpoint → new GpuRun → the uninterrupted result, bit for bit`, async () => {
      const jobSpec = spec({
        ...input,
        stop: { maxIterations: 400, fTol: null },
        record: { every: 10, params: true },
      });
      const whole = await onDevice(jobSpec);
      const expected = await whole.run.result();

      const first = await GpuRun.create(gpu.backend, jobSpec);
      runs.push(first);
      const trajectory = first.takePoints();
      await first.advance(Number.POSITIVE_INFINITY, 137);
      trajectory.push(...first.takePoints());
      expect(first.iteration).toBe(137);
      const checkpoint = JSON.parse(JSON.stringify(await first.checkpoint())) as GpuRunCheckpoint;
      expect(checkpoint).toMatchObject({
        version: 1,
        iteration: 137,
        precision: 'float32',
        adapter: gpu.adapter,
      });
      first.destroy();
      runs.pop();

      const resumed = await onDevice(jobSpec, { checkpoint });
      trajectory.push(...resumed.trajectory);
      const result = await resumed.run.result();
      expect({ ...result, wallMs: 0 }).toEqual({ ...expected, wallMs: 0 });
      expect(withoutTime(trajectory)).toEqual(withoutTime(whole.trajectory));
    });
  }

  it('the CPU Run resumes a GPU checkpoint (continuing in float64, noting float32) and a GpuRun a CPU one', async () => {
    const jobSpec = spec({
      objective: { type: 'builtin', name: 'rosenbrock', dim: 4 },
      optimizer: { name: 'adam', lr: 0.01 },
      stop: { maxIterations: 500, fTol: null },
      record: { every: 100 },
    });
    const cpuWhole = runToCompletion(jobSpec).result;

    const onGpu = await GpuRun.create(gpu.backend, jobSpec);
    runs.push(onGpu);
    await onGpu.advance(Number.POSITIVE_INFINITY, 200);
    const gpuCheckpoint = JSON.parse(JSON.stringify(await onGpu.checkpoint())) as RunCheckpoint;
    const onCpu = new Run(jobSpec, { checkpoint: gpuCheckpoint });
    expect(onCpu.iteration).toBe(200);
    onCpu.advance();
    const fromGpu = onCpu.result();
    expect(fromGpu).toMatchObject({ stopReason: 'max_iterations', iterations: 500 });
    expect(relativeDifference(fromGpu.f, cpuWhole.f)).toBeLessThan(1e-4);
    // Part of it ran in float32: the CPU result says so, and so does a checkpoint it takes.
    expect(cpuWhole.device).toEqual({ kind: 'cpu', precision: 'float64', adapter: null });
    expect(fromGpu.device).toEqual({ kind: 'cpu', precision: 'float32', adapter: null });
    const onCpuAgain = new Run(jobSpec, { checkpoint: gpuCheckpoint });
    onCpuAgain.advance(Number.POSITIVE_INFINITY, 300);
    const secondGeneration = JSON.parse(JSON.stringify(onCpuAgain.checkpoint())) as RunCheckpoint;
    expect(secondGeneration.precision).toBe('float32');
    const resumedAgain = new Run(jobSpec, { checkpoint: secondGeneration });
    resumedAgain.advance();
    expect(resumedAgain.result()).toMatchObject({
      iterations: 500,
      f: fromGpu.f,
      device: { kind: 'cpu', precision: 'float32', adapter: null },
    });

    const cpuFirst = new Run(jobSpec);
    cpuFirst.advance(Number.POSITIVE_INFINITY, 300);
    const cpuCheckpoint = JSON.parse(JSON.stringify(cpuFirst.checkpoint())) as RunCheckpoint;
    const fromCpu = await (await onDevice(jobSpec, { checkpoint: cpuCheckpoint })).run.result();
    expect(fromCpu).toMatchObject({ stopReason: 'max_iterations', iterations: 500 });
    expect(fromCpu.device).toEqual({ kind: 'gpu', precision: 'float32', adapter: gpu.adapter });
    expect(fromCpu.evaluations).toEqual(cpuWhole.evaluations);
    expect(relativeDifference(fromCpu.f, cpuWhole.f)).toBeLessThan(1e-4);
  });

  it('cancel stops a running GPU run at the end of the next batch', async () => {
    const controller = new AbortController();
    const jobSpec = spec({
      objective: { type: 'builtin', name: 'sphere', dim: 1000 },
      optimizer: { name: 'sgd', lr: 1e-6 },
      stop: { maxIterations: 10_000_000, fTol: null },
    });
    const run = await GpuRun.create(gpu.backend, jobSpec, { signal: controller.signal });
    runs.push(run);
    expect(await run.advance(30)).toBe(false);
    const iterationsBefore = run.iteration;
    const batchesBefore = run.batches;
    controller.abort();
    expect(await run.advance(60_000)).toBe(true);
    const result = await run.result();
    expect(result.stopReason).toBe('cancelled');
    // The batch in flight when the cancel is seen is the last one: not the rest of the slice.
    expect(run.batches).toBe(batchesBefore + 1);
    expect(result.iterations).toBeGreaterThan(iterationsBefore);
    expect(run.takePoints().at(-1)?.i).toBe(result.iterations);
  });

  it('the time budget ends a run with time_limit', async () => {
    const jobSpec = spec({
      objective: { type: 'builtin', name: 'sphere', dim: 1000 },
      optimizer: { name: 'sgd', lr: 1e-6 },
      stop: { maxIterations: 10_000_000, fTol: null, maxSeconds: 0.3 },
    });
    const { run } = await onDevice(jobSpec);
    const result = await run.result();
    expect(result.stopReason).toBe('time_limit');
    expect(result.wallMs).toBeGreaterThanOrEqual(300);
    expect(result.iterations).toBeLessThan(10_000_000);
  });

  it('says which specs stay on the CPU', () => {
    const base = { objective: { type: 'builtin', name: 'sphere', dim: 10 }, optimizer: { name: 'adam' } };
    expect(deviceUnsupportedReason(spec(base))).toBeNull();
    expect(deviceUnsupportedReason(spec({ ...base, gradientNoise: { std: 0.1 } }))).toMatch(/gradientNoise/);
    expect(deviceUnsupportedReason(spec({ ...base, optimizer: { name: 'lbfgs' } }))).toMatch(/lbfgs/);
    expect(deviceUnsupportedReason(spec({ ...base, objective: { type: 'builtin', name: 'beale' } }))).toMatch(
      /beale/,
    );
    expect(
      deviceUnsupportedReason(
        spec({
          ...base,
          objective: { type: 'builtin', name: 'quadratic', dim: 5, params: { rotate: true } },
        }),
      ),
    ).toMatch(/rotated/);
    expect(
      deviceUnsupportedReason(spec({ ...base, objective: { type: 'expression', expression: 'x^2' } })),
    ).toMatch(/expression/);
    const huge = normalizeJobSpec(
      { ...base, objective: { type: 'builtin', name: 'sphere', dim: 20_000_000 }, seed: 1 },
      { limits: { ...DEFAULT_LIMITS, maxDim: 20_000_000 } },
    );
    if (!huge.ok) throw new Error('invalid spec');
    expect(gpu.backend.maxRunDim()).toBeLessThan(20_000_000);
    expect(deviceUnsupportedReason(huge.spec, gpu.backend)).toMatch(/exceeds the device's limit/);
  });
});
