import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobQueue, GPU_QUEUE_NAME } from '../../src/queue/job-queue.ts';
import { type Job, jobSchema } from '../../src/schemas/job.ts';
import { describeGpu } from '../core/backends/gpu-device.ts';
import { runModel } from '../core/models/run-helpers.ts';
import { FINISHED, startTestService, type TestService, waitFor } from './service.ts';

/**
 * The API's side of GPU runs: specs a GPU cannot run are refused for `device: "gpu"`, the catalog
 * says where each optimizer runs, and, with a GPU worker in this process (WORKER_DEVICES=gpu on
 * the adapter Dawn finds here, llvmpipe), /readyz and /metrics report the adapter and a running
 * GPU job is cancelled through the API.
 */

describe('device "gpu" in a job spec', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ worker: false });
  });
  afterAll(async () => {
    await service?.close();
  });

  const base = { objective: { type: 'builtin', name: 'sphere', dim: 10 }, optimizer: { name: 'adam' } };
  it.each([
    ['newton', { optimizer: { name: 'newton' } }, 'newton runs on the CPU'],
    ['lbfgs', { optimizer: { name: 'lbfgs' } }, 'lbfgs runs on the CPU'],
    [
      'an expression',
      { objective: { type: 'expression', expression: 'x^2 + y^2' } },
      'expression objectives run on the CPU',
    ],
    [
      'a 2-D builtin',
      { objective: { type: 'builtin', name: 'beale' } },
      'beale runs on the CPU (only the builtins of any dimension have device kernels)',
    ],
    ['gradient noise', { gradientNoise: { std: 0.1 } }, 'gradientNoise runs on the CPU'],
  ])('is a 400 naming device with %s, saying why', async (_name, change, reason) => {
    const response = await request(service.url)
      .post('/v1/jobs')
      .send({ ...base, ...change, device: 'gpu' });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      {
        path: 'device',
        message: `"gpu" is not available for this spec: ${reason}; use "cpu", or "auto" to run it where it can`,
      },
    ]);
  });

  const model = {
    objective: {
      type: 'model',
      model: 'logistic_regression',
      data: { builtin: 'two_moons', samples: 200 },
      batchSize: 32,
    },
    optimizer: { name: 'adam', lr: 0.05 },
  };
  it.each([
    ['newton', { optimizer: { name: 'newton' } }, 'newton runs on the CPU'],
    ['lbfgs', { optimizer: { name: 'lbfgs' } }, 'lbfgs runs on the CPU'],
    ['gradient noise', { gradientNoise: { std: 0.1 } }, 'gradientNoise runs on the CPU'],
  ])('is a 400 naming device for a model objective with %s', async (_name, change, reason) => {
    const response = await request(service.url)
      .post('/v1/jobs')
      .send({ ...model, ...change, device: 'gpu' });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      {
        path: 'device',
        message: `"gpu" is not available for this spec: ${reason}; use "cpu", or "auto" to run it where it can`,
      },
    ]);
  });

  it('accepts a model objective with a first-order optimizer on device gpu', async () => {
    const response = await request(service.url)
      .post('/v1/jobs')
      .send({ ...model, device: 'gpu' });
    expect(response.status).toBe(202);
    expect(response.body.spec.device).toBe('gpu');
    await request(service.url).post(`/v1/jobs/${response.body.id}/cancel`);
  });

  it('accepts the same specs with device auto or cpu', async () => {
    for (const device of ['auto', 'cpu']) {
      const response = await request(service.url)
        .post('/v1/jobs')
        .send({ ...base, optimizer: { name: 'lbfgs' }, device });
      expect(response.status).toBe(202);
    }
  });

  it('a gpu job with no GPU worker waits in the GPU queue, says so, and is removed from it when cancelled', async () => {
    const submitted = await request(service.url)
      .post('/v1/jobs')
      .send({ ...base, device: 'gpu' });
    expect(submitted.status).toBe(202);
    const why = 'a GPU worker (none seen in the last 2 s)';
    expect(submitted.body).toMatchObject({ status: 'queued', waitingFor: why });
    const id = submitted.body.id as string;
    expect((await request(service.url).get(`/v1/jobs/${id}`)).body.waitingFor).toBe(why);
    const listed = (await request(service.url).get('/v1/jobs')).body.items.find((job: Job) => job.id === id);
    expect(listed.waitingFor).toBe(why);
    const gpuQueue = createJobQueue(service.redis, service.config.redisPrefix, GPU_QUEUE_NAME);
    try {
      expect(await gpuQueue.getJob(id)).toBeDefined();
      const cancelled = await request(service.url).post(`/v1/jobs/${id}/cancel`);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', waitingFor: null });
      expect(await gpuQueue.getJob(id)).toBeUndefined();
    } finally {
      await gpuQueue.close();
    }
  });

  it('a CPU job with no worker at all says it waits for a CPU worker', async () => {
    const submitted = await request(service.url).post('/v1/jobs').send(base);
    expect(submitted.body.waitingFor).toBe('a CPU worker (none seen in the last 2 s)');
    await request(service.url).post(`/v1/jobs/${submitted.body.id}/cancel`);
  });

  it('the optimizer catalog says newton and lbfgs run on the CPU only', async () => {
    const response = await request(service.url).get('/v1/catalog/optimizers');
    const devices = Object.fromEntries(
      response.body.items.map((item: { name: string; devices: string[] }) => [item.name, item.devices]),
    );
    expect(devices).toEqual({
      sgd: ['cpu', 'gpu'],
      momentum: ['cpu', 'gpu'],
      adagrad: ['cpu', 'gpu'],
      rmsprop: ['cpu', 'gpu'],
      adam: ['cpu', 'gpu'],
      adamw: ['cpu', 'gpu'],
      newton: ['cpu'],
      lbfgs: ['cpu'],
    });
  });
});

describeGpu('a GPU worker behind the API', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ env: { WORKER_DEVICES: 'gpu', WORKER_CONCURRENCY: '1' } });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('/readyz and /metrics report its adapter', async () => {
    const adapter = service.worker?.info.adapter;
    expect(adapter).toMatch(/llvmpipe/);
    const ready = await waitFor(async () => {
      const response = await request(service.url).get('/readyz');
      return response.status === 200 ? response.body : undefined;
    });
    expect(ready).toMatchObject({
      devices: { cpu: 0, gpu: 1 },
      adapters: [{ adapter, software: true, workers: 1 }],
    });
    const metrics = (await request(service.url).get('/metrics')).text;
    const escaped = (adapter ?? '').replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    expect(metrics).toContain(`descent_workers{device="gpu",adapter="${escaped}",software="true"} 1`);
    expect(metrics).toContain('descent_workers{device="cpu",adapter="",software=""} 0');
  });

  it('cancels a running GPU run: cancelled, its result from the device, the trajectory up to it', async () => {
    const submitted = await request(service.url)
      .post('/v1/jobs')
      .send({
        objective: { type: 'builtin', name: 'sphere', dim: 10_000 },
        optimizer: { name: 'adam', lr: 1e-6 },
        stop: { maxIterations: 10_000_000, maxSeconds: 60, gradTol: 0, fTol: null },
        record: { every: 10 },
        device: 'gpu',
        seed: 1,
      });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    await waitFor(async () => {
      const job = (await request(service.url).get(`/v1/jobs/${id}`)).body as Job;
      return (job.progress?.iteration ?? 0) > 20 ? job : undefined;
    });
    const cancel = await request(service.url).post(`/v1/jobs/${id}/cancel`);
    const cancelledAt = performance.now();
    expect(cancel.status).toBe(200);
    const done = await waitFor(
      async () => {
        const job = jobSchema.parse((await request(service.url).get(`/v1/jobs/${id}`)).body);
        return FINISHED.has(job.status) ? job : undefined;
      },
      10_000,
      2,
    );
    console.log(
      `GPU cancel latency (cancel response → status cancelled seen by polling, llvmpipe): ${(performance.now() - cancelledAt).toFixed(1)} ms`,
    );
    expect(done.status).toBe('cancelled');
    expect(done.result?.stopReason).toBe('cancelled');
    expect(done.result?.device).toEqual({
      kind: 'gpu',
      precision: 'float32',
      adapter: service.worker?.info.adapter,
    });
    const iterations = done.result?.iterations ?? 0;
    expect(iterations).toBeGreaterThan(20);
    expect(iterations).toBeLessThan(10_000_000);
    const page = (await request(service.url).get(`/v1/jobs/${id}/trajectory?limit=10000`)).body;
    expect(page.complete).toBe(true);
    expect(page.points.at(-1).i).toBe(iterations);
  });

  it('runs model jobs on the device (built-in and inline data) to the CPU run’s validation accuracy ±0.01, with result.validation', async () => {
    const inline = {
      X: Array.from({ length: 120 }, (_, r) => [
        Math.cos(r * 0.37) + (r % 2) * 0.8,
        Math.sin(r * 0.61) - (r % 2) * 0.8,
      ]),
      y: Array.from({ length: 120 }, (_, r) => r % 2),
    };
    const specs = [
      {
        objective: {
          type: 'model',
          model: 'mlp',
          data: { builtin: 'two_moons', samples: 300, noise: 0.2 },
          hidden: [8],
          batchSize: 32,
        },
        optimizer: { name: 'adam', lr: 0.02 },
        stop: { maxIterations: 300 },
      },
      {
        objective: { type: 'model', model: 'logistic_regression', data: { inline }, batchSize: 16 },
        optimizer: { name: 'sgd', lr: 0.2 },
        stop: { maxIterations: 200 },
      },
    ];
    for (const input of specs) {
      const submitted = await request(service.url)
        .post('/v1/jobs')
        .send({ ...input, device: 'gpu', seed: 4 });
      expect(submitted.status).toBe(202);
      const id = submitted.body.id as string;
      const done = await waitFor(async () => {
        const job = jobSchema.parse((await request(service.url).get(`/v1/jobs/${id}`)).body);
        return FINISHED.has(job.status) ? job : undefined;
      }, 60_000);
      const cpu = runModel({ ...input, seed: 4 });
      console.log(
        `${input.objective.model} on the GPU worker: validation accuracy ${done.result?.validation?.finalAccuracy} (CPU ${cpu.result.validation?.finalAccuracy}), f ${done.result?.f} (CPU ${cpu.result.f})`,
      );
      expect(done.status).toBe('completed');
      expect(done.result?.device).toEqual({
        kind: 'gpu',
        precision: 'float32',
        adapter: service.worker?.info.adapter,
      });
      expect(done.result?.iterations).toBe(cpu.result.iterations);
      expect(done.result?.validation).toBeDefined();
      expect(
        Math.abs((done.result?.validation?.finalAccuracy ?? 0) - (cpu.result.validation?.finalAccuracy ?? 1)),
      ).toBeLessThanOrEqual(0.01);
      const page = (await request(service.url).get(`/v1/jobs/${id}/trajectory?limit=10000`)).body;
      expect(page.points.map((point: { i: number }) => point.i)).toEqual(
        cpu.trajectory.map((point) => point.i),
      );
      expect(page.points.at(-1).valAccuracy).toBe(done.result?.validation?.finalAccuracy);
    }
  });
});
