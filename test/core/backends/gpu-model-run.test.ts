import { afterAll, expect, it } from 'vitest';
import { GpuRun } from '../../../src/core/backends/gpu-run.ts';
import type { Dataset } from '../../../src/core/data/dataset.ts';
import { Run, type RunCheckpoint, runToCompletion } from '../../../src/core/run.ts';
import { observePlateau, type PlateauState } from '../../../src/core/schedules.ts';
import type { JobSpec } from '../../../src/core/spec.ts';
import type { Result, TrajectoryPoint } from '../../../src/core/types.ts';
import { modelJob, OVERFITTING_MLP, SPIRALS_CHECKPOINT, TWO_MOONS_MLP } from '../models/run-helpers.ts';
import { withoutTime } from '../spec-helpers.ts';
import { describeGpu, type TestDevice, useTestDevice } from './gpu-device.ts';

/**
 * Model objectives on the device (GpuRun with a model: webgpu/model-evaluation.ts) against the
 * CPU Run on the same spec, data and seed. The device trains on the CPU sampler's batches, so the
 * first points agree to float32 accuracy, and the validation accuracy reached agrees within ±1%
 * (absolute 0.01).
 */

interface DeviceOutput {
  run: GpuRun;
  trajectory: TrajectoryPoint[];
  result: Result;
}

async function runOnDevice(
  gpu: TestDevice,
  jobSpec: JobSpec,
  dataset: Dataset,
  options: { checkpoint?: RunCheckpoint } = {},
): Promise<DeviceOutput> {
  const run = await GpuRun.create(gpu.backend, jobSpec, { dataset, ...options });
  const trajectory: TrajectoryPoint[] = run.takePoints();
  while (!(await run.advance(50))) trajectory.push(...run.takePoints());
  trajectory.push(...run.takePoints());
  return { run, trajectory, result: await run.result() };
}

/** |a − b| / max(|b|, floor). */
function relative(a: number, b: number, floor = 1e-6): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), floor);
}

const moons400 = { builtin: 'two_moons', samples: 400, noise: 0.25 } as const;

describeGpu('model runs on the device against the CPU Run', () => {
  const gpu = useTestDevice();
  const runs: GpuRun[] = [];
  afterAll(() => {
    for (const run of runs) run.destroy();
  });
  const onDevice = async (
    jobSpec: JobSpec,
    dataset: Dataset,
    options: { checkpoint?: RunCheckpoint } = {},
  ) => {
    const finished = await runOnDevice(gpu, jobSpec, dataset, options);
    runs.push(finished.run);
    return finished;
  };

  it.each([
    [
      'logistic regression with l2, batches of 48 (an epoch: 6 of 48 and one of 32)',
      { type: 'model', model: 'logistic_regression', data: moons400, batchSize: 48, l2: 0.05 },
      { name: 'sgd', lr: 0.5 },
    ],
    [
      'a relu MLP on 3 blobs, softmax head, batches of 40',
      {
        type: 'model',
        model: 'mlp',
        data: { builtin: 'blobs', samples: 300, classes: 3 },
        hidden: [8, 6],
        activation: 'relu',
        batchSize: 40,
        l2: 0.01,
      },
      { name: 'adam', lr: 0.02, clipNorm: 1 },
    ],
    [
      'linear regression on inline rows, full batch',
      {
        type: 'model',
        model: 'linear_regression',
        data: {
          inline: {
            X: Array.from({ length: 40 }, (_, r) => [r / 10, Math.sin(r), (r % 7) - 3]),
            y: Array.from({ length: 40 }, (_, r) => 2 * (r / 10) - Math.sin(r) + 0.3 * ((r % 7) - 3) + 1),
          },
        },
      },
      { name: 'momentum', lr: 0.05 },
    ],
  ])(
    '%s: f, ‖g‖ and the validation metrics of the first 12 points are the CPU run’s to float32 accuracy (the same batches)',
    async (_name, objective, optimizer) => {
      const job = modelJob({ objective, optimizer, stop: { maxIterations: 12 }, record: { every: 1 } });
      const cpu = runToCompletion(job.spec, { dataset: job.dataset });
      const device = await onDevice(job.spec, job.dataset);
      expect(device.result.device).toEqual({ kind: 'gpu', precision: 'float32', adapter: gpu.adapter });
      expect(device.trajectory.map((point) => point.i)).toEqual(cpu.trajectory.map((point) => point.i));
      expect(device.trajectory.map((point) => Object.keys(point).sort())).toEqual(
        cpu.trajectory.map((point) => Object.keys(point).sort()),
      );
      let worstF = 0;
      let worstGradNorm = 0;
      for (let k = 0; k < cpu.trajectory.length; k++) {
        const [c, d] = [cpu.trajectory[k], device.trajectory[k]];
        worstF = Math.max(worstF, relative(d.f, c.f), relative(d.valF ?? 0, c.valF ?? 0));
        worstGradNorm = Math.max(worstGradNorm, relative(d.gradNorm, c.gradNorm));
        if (c.valAccuracy !== undefined)
          expect(Math.abs((d.valAccuracy ?? -1) - c.valAccuracy)).toBeLessThanOrEqual(0.0125);
      }
      console.log(
        `${_name}: worst relative difference f ${worstF.toExponential(2)}, ‖g‖ ${worstGradNorm.toExponential(2)}`,
      );
      expect(worstF).toBeLessThan(2e-5);
      expect(worstGradNorm).toBeLessThan(1e-4);
      expect(Object.keys(device.result).sort()).toEqual(Object.keys(cpu.result).sort());
      expect(device.result.evaluations).toEqual(cpu.result.evaluations);
      expect(device.result.stopReason).toBe(cpu.result.stopReason);
      // Every iteration recorded and validated, no patience or plateau: batches of steps hold many
      // recorded points, so the device is read back fewer times than there are points.
      expect(device.run.batches).toBeLessThan(cpu.trajectory.length - 1);
    },
  );

  /** The CPU run and the device run of one spec; the final validation accuracies within ±0.01, printed. */
  const sameAccuracy = async (name: string, input: Record<string, unknown>, cpuAtLeast: number) => {
    const job = modelJob(input);
    const cpu = runToCompletion(job.spec, { dataset: job.dataset });
    const device = await onDevice(job.spec, job.dataset);
    const [c, d] = [cpu.result.validation, device.result.validation];
    console.log(
      `${name}: final validation accuracy CPU ${c?.finalAccuracy}, device ${d?.finalAccuracy}; loss CPU ${c?.finalLoss}, device ${d?.finalLoss}; best CPU ${c?.accuracy} at ${c?.bestIteration}, device ${d?.accuracy} at ${d?.bestIteration}`,
    );
    expect(c?.finalAccuracy).toBeGreaterThanOrEqual(cpuAtLeast);
    expect(Math.abs((d?.finalAccuracy ?? 0) - (c?.finalAccuracy ?? 1))).toBeLessThanOrEqual(0.01);
    expect(Math.abs((d?.accuracy ?? 0) - (c?.accuracy ?? 1))).toBeLessThanOrEqual(0.01);
    expect(device.result.iterations).toBe(cpu.result.iterations);
    expect(device.result.best.iteration).toBe(d?.bestIteration);
    expect(device.trajectory.map((point) => point.i)).toEqual(cpu.trajectory.map((point) => point.i));
    expect(device.result.device.kind).toBe('gpu');
  };

  it('logistic regression on two_moons (batch 32, sgd lr 0.3, 600 steps) reaches the CPU validation accuracy ±0.01', async () => {
    const objective = { type: 'model', model: 'logistic_regression', batchSize: 32 };
    await sameAccuracy(
      'logistic two_moons',
      {
        objective: { ...objective, data: { builtin: 'two_moons', samples: 2000, noise: 0.2 } },
        optimizer: { name: 'sgd', lr: 0.3 },
        stop: { maxIterations: 600 },
        seed: 5,
      },
      0.8,
    );
  });

  it('the MLP on two_moons (hidden [16, 16] tanh, Adam lr 0.01, batch 64, 1,300 steps) reaches the CPU validation accuracy ±0.01', async () => {
    await sameAccuracy('mlp two_moons', TWO_MOONS_MLP, 0.95);
  });

  it('stop.patience and best by validation loss: the device stops early_stopped where the CPU does, `patience` validations after the best, and returns the best validation parameters', async () => {
    const job = modelJob(OVERFITTING_MLP);
    const cpu = runToCompletion(job.spec, { dataset: job.dataset });
    const device = await onDevice(job.spec, job.dataset);
    console.log(
      `early stop: CPU best ${cpu.result.validation?.loss} at ${cpu.result.best.iteration}, stopped at ${cpu.result.iterations}; device best ${device.result.validation?.loss} at ${device.result.best.iteration}, stopped at ${device.result.iterations}`,
    );
    expect(cpu.result.stopReason).toBe('early_stopped');
    expect(device.result.stopReason).toBe('early_stopped');
    expect(device.result.converged).toBe(false);
    expect(device.result.best.iteration).toBe(cpu.result.best.iteration);
    expect(device.result.iterations).toBe(cpu.result.iterations);
    const losses = device.trajectory.map((point) => point.valF as number);
    const bestIndex = losses.indexOf(Math.min(...losses));
    const best = device.trajectory[bestIndex];
    expect(device.result.validation?.bestIteration).toBe(best.i);
    expect(device.result.validation?.loss).toBe(best.valF);
    expect(device.result.validation?.accuracy).toBe(best.valAccuracy);
    expect(device.result.best.f).toBe(best.f);
    expect(device.result.best.x).toEqual(best.x);
    expect(device.trajectory.length - 1 - bestIndex).toBe(15);
    // With patience a batch of steps ends at each recorded point, whose validation may stop the run.
    expect(device.run.batches).toBeGreaterThanOrEqual(device.trajectory.length - 1);
    expect(device.result.iterations).toBe(best.i + 15 * 5);
    expect(Array.from(await device.run.bestParams())).toEqual(best.x);
    expect(relative(device.result.validation?.loss ?? 0, cpu.result.validation?.loss ?? 1)).toBeLessThan(
      1e-4,
    );
  });

  it('plateau on the validation loss: each point’s lr is the base rate times the scale after the validations before it, as on the CPU', async () => {
    const job = modelJob({
      objective: {
        type: 'model',
        model: 'mlp',
        data: { builtin: 'two_moons', samples: 120, noise: 0.45 },
        hidden: [32],
      },
      optimizer: { name: 'adam', lr: 0.02 },
      schedule: { type: 'plateau', factor: 0.5, patience: 2, threshold: 0 },
      // fTol off: once the rate is tiny, f stops changing in float32 and the device would stop f_tol
      stop: { maxIterations: 600, fTol: null },
      record: { every: 10 },
    });
    const cpu = runToCompletion(job.spec, { dataset: job.dataset });
    const device = await onDevice(job.spec, job.dataset);
    const state: PlateauState = { scale: 1, best: null, badCount: 0 };
    let reductions = 0;
    for (let k = 0; k < device.trajectory.length; k++) {
      const point = device.trajectory[k];
      if (k > 0) expect(point.lr).toBe(Math.fround(0.02 * state.scale));
      const before = state.scale;
      observePlateau(state, point.valF as number, { factor: 0.5, patience: 2, threshold: 0 });
      if (state.scale < before) reductions++;
    }
    expect(device.result.stopReason).toBe('max_iterations');
    expect(reductions).toBeGreaterThanOrEqual(2);
    expect(device.trajectory.map((point) => Math.fround(point.lr))).toEqual(
      cpu.trajectory.map((point) => Math.fround(point.lr)),
    );
  });

  it('a checkpoint taken mid-epoch (JSON round trip) resumes on the device to the uninterrupted run’s trajectory, and on the CPU core (float32 noted) to the same end', async () => {
    const job = modelJob(SPIRALS_CHECKPOINT);
    const whole = await onDevice(job.spec, job.dataset);

    // 240 training rows, batches of 25: 10 batches an epoch; iteration 43 is batch 4 of epoch 4
    const first = await GpuRun.create(gpu.backend, job.spec, { dataset: job.dataset });
    runs.push(first);
    const points: TrajectoryPoint[] = first.takePoints();
    while (first.iteration < 43) await first.advance(Number.POSITIVE_INFINITY, 43);
    points.push(...first.takePoints());
    expect(first.iteration).toBe(43);
    const checkpoint = JSON.parse(JSON.stringify(await first.checkpoint())) as RunCheckpoint;
    expect(checkpoint.precision).toBe('float32');

    const resumed = await onDevice(job.spec, job.dataset, { checkpoint });
    const trajectory = [...points, ...resumed.trajectory];
    expect(trajectory.map((point) => point.i)).toEqual(whole.trajectory.map((point) => point.i));
    // Bit for bit: float32 state round-trips through the checkpoint exactly, and the device's
    // kernels reduce in a fixed order, so the resumed run re-derives the same f and g on the same batch.
    expect(withoutTime(trajectory)).toEqual(withoutTime(whole.trajectory));
    expect({ ...resumed.result, wallMs: 0 }).toEqual({ ...whole.result, wallMs: 0 });
    expect(resumed.result.stopReason).toBe(whole.result.stopReason);
    expect(resumed.result.iterations).toBe(whole.result.iterations);
    expect(resumed.result.best.iteration).toBe(whole.result.best.iteration);
    expect(resumed.result.validation?.finalAccuracy).toBe(whole.result.validation?.finalAccuracy);
    expect(resumed.result.evaluations).toEqual(whole.result.evaluations);

    // The same checkpoint on the CPU core: float64 from there on, precision float32 noted.
    const onCpu = runToCompletion(job.spec, { dataset: job.dataset, checkpoint });
    expect(onCpu.result.device).toEqual({ kind: 'cpu', precision: 'float32', adapter: null });
    expect(onCpu.trajectory[0].i).toBe(49);
    expect(
      Math.abs((onCpu.result.validation?.finalAccuracy ?? 0) - (whole.result.validation?.finalAccuracy ?? 1)),
    ).toBeLessThanOrEqual(0.01);
    console.log(
      `resume: uninterrupted ${whole.result.stopReason} at ${whole.result.iterations} (accuracy ${whole.result.validation?.finalAccuracy}), device resume ${resumed.result.stopReason} at ${resumed.result.iterations}, CPU resume ${onCpu.result.stopReason} at ${onCpu.result.iterations} (accuracy ${onCpu.result.validation?.finalAccuracy})`,
    );

    // And a CPU checkpoint resumes on the device.
    const cpuRun = new Run(job.spec, { dataset: job.dataset });
    cpuRun.advance(Number.POSITIVE_INFINITY, 43);
    const fromCpu = await onDevice(job.spec, job.dataset, { checkpoint: cpuRun.checkpoint() });
    expect(fromCpu.trajectory[0].i).toBe(49);
    expect(
      Math.abs(
        (fromCpu.result.validation?.finalAccuracy ?? 0) - (whole.result.validation?.finalAccuracy ?? 1),
      ),
    ).toBeLessThanOrEqual(0.01);
  });

  it('a batch of steps never holds more evaluations than the device has slots, validation passes included', async () => {
    // A clock that never moves makes every batch look instant, so batches grow to the device's
    // limit (4,096 evaluations); every iteration is recorded and validated (a slot each too).
    const job = modelJob({
      objective: {
        type: 'model',
        model: 'linear_regression',
        data: { inline: { X: [[0], [1], [2], [3], [4], [5], [6], [7]], y: [1, 3, 5, 7, 9, 11, 13, 15] } },
      },
      optimizer: { name: 'sgd', lr: 0.01 },
      stop: { maxIterations: 6000, gradTol: 0, fTol: null },
      record: { every: 1, maxPoints: 10_000 },
    });
    const run = await GpuRun.create(gpu.backend, job.spec, { dataset: job.dataset, clock: () => 0 });
    runs.push(run);
    const trajectory = run.takePoints();
    while (!(await run.advance())) trajectory.push(...run.takePoints());
    trajectory.push(...run.takePoints());
    const result = await run.result();
    expect(result.stopReason).toBe('max_iterations');
    expect(trajectory).toHaveLength(6001);
    expect(trajectory.every((point) => point.valF !== undefined)).toBe(true);
    // 1 + 4 + 16 + 64 + 256 + 1,024 steps, then batches of 2,047 (4,094 evaluations) and the rest
    expect(run.batches).toBeLessThan(12);
    console.log(`6,000 validated steps in ${run.batches} batches`);
  });

  it('a cancel stops a model run after the batch in flight: cancelled, the final point validated', async () => {
    const job = modelJob({ ...TWO_MOONS_MLP, stop: { maxIterations: 100_000 } });
    const controller = new AbortController();
    const run = await GpuRun.create(gpu.backend, job.spec, {
      dataset: job.dataset,
      signal: controller.signal,
    });
    runs.push(run);
    const trajectory = run.takePoints();
    await run.advance(30);
    controller.abort();
    while (!(await run.advance())) trajectory.push(...run.takePoints());
    trajectory.push(...run.takePoints());
    const result = await run.result();
    expect(result.stopReason).toBe('cancelled');
    expect(result.iterations).toBeLessThan(100_000);
    const last = trajectory.at(-1);
    expect(last?.i).toBe(result.iterations);
    expect(last?.valF).toBe(result.validation?.finalLoss);
    expect(last?.valAccuracy).toBe(result.validation?.finalAccuracy);
  });
});
