import { QueueEvents } from 'bullmq';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { runOnDeviceToCompletion } from '../../src/core/backends/gpu-run.ts';
import type { RunOutput } from '../../src/core/run.ts';
import type { JobSpec, ModelObjectiveSpec } from '../../src/core/spec.ts';
import { modelDataFor } from '../../src/data/resolve.ts';
import { createJobQueue, GPU_QUEUE_NAME, type JobQueue } from '../../src/queue/job-queue.ts';
import type { Job } from '../../src/schemas/job.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import type { JobRuns } from '../../src/store/job-runs.ts';
import type { JobSubmissions } from '../../src/store/job-submissions.ts';
import { TrajectoryStore } from '../../src/store/trajectory.ts';
import { startTestService, type TestService } from '../api/service.ts';
import { describeGpu, useTestDevice } from '../core/backends/gpu-device.ts';
import { jobStores } from '../helpers/job-stores.ts';
import { createTestRedis } from '../helpers/redis.ts';
import { makeSpec, withoutTime } from '../helpers/specs.ts';
import { waitFor, waitForStatus } from './helpers.ts';
import { type WorkerProcess, WorkerProcesses, workerId } from './worker-processes.ts';

/**
 * GPU workers as deployed (`node --import tsx workers/worker.ts` with WORKER_DEVICES), on the
 * adapter Dawn finds here: Mesa's llvmpipe, a software adapter, so the API and the GPU workers
 * run with GPU_AUTO_SOFTWARE=true and GPU_AUTO_MIN_DIM=1000, which would send a large `auto` job to
 * a GPU (by default `auto` never uses a software adapter, checked below with a second API).
 * Which worker ran a job: its "job finished" log line; where: result.device.
 */

const AUTO_ENV = { GPU_AUTO_MIN_DIM: '1000', GPU_AUTO_SOFTWARE: 'true' };

let service: TestService;
let processes: WorkerProcesses;
let jobs: JobRecords;
let runs: JobRuns;
let submissions: JobSubmissions;
let trajectories: TrajectoryStore;
let gpuQueue: JobQueue;

beforeAll(async () => {
  service = await startTestService({ worker: false, env: { ...AUTO_ENV, WORKER_HEARTBEAT_MS: '100' } });
  processes = new WorkerProcesses(service.config.redisPrefix);
  ({ jobs, submissions, runs } = jobStores(service.redis, service.config.redisPrefix));
  trajectories = new TrajectoryStore(service.redis, service.config.redisPrefix);
  gpuQueue = createJobQueue(service.redis, service.config.redisPrefix, GPU_QUEUE_NAME);
});

afterEach(async () => {
  await processes.killAll();
  await service.redis.del(`${service.config.redisPrefix}:workers`);
});

afterAll(async () => {
  await gpuQueue?.close();
  await service?.close();
});

async function submit(url: string, spec: Record<string, unknown>): Promise<Job> {
  const response = await fetch(`${url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ seed: 3, ...spec }),
  });
  expect(response.status, await response.clone().text()).toBe(202);
  return (await response.json()) as Job;
}

async function getJob(id: string, url = service.url): Promise<Job> {
  return (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as Job;
}

async function finished(id: string): Promise<Job> {
  await waitForStatus(jobs, id, ['completed', 'failed', 'cancelled'], 60_000);
  return getJob(id);
}

/** The worker whose log says it finished `jobId` (waits for the line: it follows the store's change). */
async function finisherOf(jobId: string, workers: WorkerProcess[]): Promise<WorkerProcess> {
  const isFinished = (line: Record<string, unknown>) => line.msg === 'job finished' && line.jobId === jobId;
  await waitFor(async () => workers.some((worker) => worker.logs.some(isFinished)), 10_000, 'the log line');
  const finishers = workers.filter((worker) => worker.logs.some(isFinished));
  expect(finishers).toHaveLength(1);
  return finishers[0];
}

/** The worker process running `jobId` (BullMQ's processedBy is its id) and the other one. */
async function holderOf(jobId: string, workers: WorkerProcess[]): Promise<[WorkerProcess, WorkerProcess]> {
  const holder = (await gpuQueue.getJob(jobId))?.processedBy;
  const running = workers.find((worker) => workerId(worker) === holder);
  if (running === undefined) throw new Error(`no worker process is ${holder}`);
  return [running, workers.find((worker) => worker !== running) as WorkerProcess];
}

/** Waits for the job to complete; resolves to `worker`'s "job finished" line for it. */
async function completedBy(jobId: string, worker: WorkerProcess): Promise<Record<string, unknown>> {
  const { record } = await waitForStatus(jobs, jobId, ['completed', 'failed', 'cancelled'], 90_000);
  expect(record.status).toBe('completed');
  return waitFor(
    async () => worker.logs.find((line) => line.msg === 'job finished' && line.jobId === jobId),
    10_000,
    'the log line',
  );
}

/** The stored result and trajectory are those of the uninterrupted run (wall-clock fields aside). */
async function expectUninterrupted(jobId: string, expected: RunOutput): Promise<void> {
  const record = await jobs.get(jobId);
  expect({ ...record?.result, wallMs: 0 }).toEqual({ ...expected.result, wallMs: 0 });
  const stored = await trajectories.read(jobId, -1, 100_000);
  expect(withoutTime(stored)).toEqual(withoutTime(expected.trajectory));
}

async function readiness(): Promise<{ devices: { cpu: number; gpu: number }; adapters: unknown[] }> {
  const response = await fetch(`${service.url}/readyz`);
  return response.status === 200 ? response.json() : { devices: { cpu: 0, gpu: 0 }, adapters: [] };
}

async function waitForDevices(cpu: number, gpu: number): Promise<void> {
  await waitFor(
    async () => {
      const { devices } = await readiness();
      return devices.cpu === cpu && devices.gpu === gpu;
    },
    60_000,
    `${cpu} CPU and ${gpu} GPU workers`,
  );
  // The API reads the registry at most every WORKER_HEARTBEAT_MS (100 ms here) for routing.
  await new Promise((resolve) => setTimeout(resolve, 250));
}

const large = (device: string) => ({
  objective: { type: 'builtin', name: 'sphere', dim: 2000 },
  optimizer: { name: 'adam', lr: 0.01 },
  stop: { maxIterations: 100 },
  device,
});

/** 6,000 Adam steps on a 1,000-dim Rosenbrock: a few seconds on llvmpipe. */
const LONG_SPEC = makeSpec({
  objective: { type: 'builtin', name: 'rosenbrock', dim: 1000 },
  optimizer: { name: 'adam', lr: 1e-3 },
  stop: { maxIterations: 6000, gradTol: 0, fTol: null, maxSeconds: 600 },
  record: { every: 10 },
  device: 'gpu',
});

// Processes start slowly on a loaded machine (tsx compiles, Dawn starts llvmpipe): generous timeouts.
describeGpu('GPU workers', () => {
  const gpu = useTestDevice();
  let uninterrupted: RunOutput | null = null;
  /** LONG_SPEC run to its end on this process's device, once. */
  const expectedLong = async () => {
    uninterrupted ??= await runOnDeviceToCompletion(gpu.backend, LONG_SPEC);
    return uninterrupted;
  };

  it('routes gpu jobs only to GPU workers, auto by size to a GPU worker while one is seen and to the CPU after', {
    timeout: 120_000,
  }, async () => {
    const cpuWorker = processes.spawn({ WORKER_DEVICES: 'cpu' });
    const gpuWorker = processes.spawn({ WORKER_DEVICES: 'gpu', ...AUTO_ENV });
    const workers = [cpuWorker, gpuWorker];
    await waitForDevices(1, 1);
    const ready = await readiness();
    expect(ready.adapters).toEqual([{ adapter: gpu.adapter, software: true, workers: 1 }]);
    const gpuDevice = { kind: 'gpu', precision: 'float32', adapter: gpu.adapter };
    const cpuDevice = { kind: 'cpu', precision: 'float64', adapter: null };

    const onGpu = await submit(service.url, large('gpu'));
    const autoLarge = await submit(service.url, large('auto'));
    const autoSmall = await submit(service.url, {
      ...large('auto'),
      objective: { type: 'builtin', name: 'sphere', dim: 999 },
    });
    const onCpu = await submit(service.url, large('cpu'));
    expect(onGpu.waitingFor).toBeNull();

    for (const [job, worker, device] of [
      [onGpu, gpuWorker, gpuDevice],
      [autoLarge, gpuWorker, gpuDevice],
      [autoSmall, cpuWorker, cpuDevice],
      [onCpu, cpuWorker, cpuDevice],
    ] as const) {
      const done = await finished(job.id);
      expect(done.status, job.spec.device).toBe('completed');
      expect(done.result?.device, `${job.spec.device}, ${job.spec.objective.type}`).toEqual(device);
      expect(done.result?.iterations).toBe(100);
      expect(await finisherOf(job.id, workers)).toBe(worker);
    }

    // The same large auto job through an API with the default rule: never a software adapter.
    const strict = await startTestService({
      worker: false,
      env: { REDIS_PREFIX: service.config.redisPrefix, GPU_AUTO_MIN_DIM: '1000' },
    });
    try {
      const autoStrict = await submit(strict.url, large('auto'));
      expect((await finished(autoStrict.id)).result?.device).toEqual(cpuDevice);
      expect(await finisherOf(autoStrict.id, workers)).toBe(cpuWorker);
    } finally {
      await strict.close();
    }

    // The GPU worker leaves (SIGTERM: it removes its heartbeat).
    gpuWorker.child.kill('SIGTERM');
    await gpuWorker.exited;
    await waitForDevices(1, 0);
    const autoAfter = await submit(service.url, large('auto'));
    expect((await finished(autoAfter.id)).result?.device).toEqual(cpuDevice);
    expect(await finisherOf(autoAfter.id, workers)).toBe(cpuWorker);

    // A gpu job waits, and says what for.
    const waiting = await submit(service.url, large('gpu'));
    expect(waiting.waitingFor).toBe('a GPU worker (none seen in the last 2 s)');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const still = await getJob(waiting.id);
    expect(still.status).toBe('queued');
    expect(still.waitingFor).toBe('a GPU worker (none seen in the last 2 s)');
    expect(cpuWorker.logs.filter((line) => line.jobId === waiting.id)).toEqual([]);

    // A GPU worker arrives and takes it.
    const late = processes.spawn({ WORKER_DEVICES: 'gpu' });
    const done = await finished(waiting.id);
    expect(done.result?.device).toEqual(gpuDevice);
    expect(await finisherOf(waiting.id, [cpuWorker, late])).toBe(late);
  });

  it('a GPU run checkpointed, its worker SIGKILLed, resumed by another GPU worker: the uninterrupted result', {
    timeout: 120_000,
  }, async () => {
    const spec = LONG_SPEC;
    const expected = await expectedLong();
    // A short lock and stall check, so the dead worker's job moves within a second or two, and
    // the survivor's run on its main thread must renew its lock every 250-500 ms.
    const env = { WORKER_DEVICES: 'gpu', WORKER_LOCK_DURATION_MS: '1000', WORKER_STALLED_INTERVAL_MS: '300' };
    const workers = [processes.spawn(env), processes.spawn(env)];
    await waitForDevices(0, 2);

    const stalled: string[] = [];
    const eventsConnection = createTestRedis();
    const queueEvents = new QueueEvents(GPU_QUEUE_NAME, {
      connection: eventsConnection,
      prefix: service.config.redisPrefix,
    });
    queueEvents.on('stalled', ({ jobId }) => stalled.push(jobId));
    await queueEvents.waitUntilReady();
    try {
      const { job } = await submissions.create('default', spec);
      await service.app.jobQueue.enqueue(job.id, spec);
      await waitFor(
        async () => ((await runs.loadCheckpoint(job.id))?.iteration ?? 0) > 1500,
        60_000,
        'a checkpoint',
      );
      const [victim, survivor] = await holderOf(job.id, workers);
      // Read before the kill: the survivor may take the job over (and checkpoint it further)
      // before the victim's exit is seen, so only a checkpoint read earlier bounds the resume.
      const beforeKill = await runs.loadCheckpoint(job.id);
      const checkpointAtKill = beforeKill?.iteration ?? 0;
      expect(beforeKill?.precision).toBe('float32');
      victim.child.kill('SIGKILL');
      await victim.exited;

      const finishedLine = await completedBy(job.id, survivor);
      expect(finishedLine.resumedFrom).toBeGreaterThanOrEqual(checkpointAtKill);
      expect(finishedLine.queue).toBe(GPU_QUEUE_NAME);
      // The kill's stall only: the survivor's run never lost its lock.
      expect(stalled).toEqual([job.id]);

      expect(expected.result.device).toEqual({ kind: 'gpu', precision: 'float32', adapter: gpu.adapter });
      await expectUninterrupted(job.id, expected);
    } finally {
      await queueEvents.close();
      eventsConnection.disconnect();
    }
  });

  /**
   * Two GPU workers; the one running `spec` gets SIGTERM once past `afterIteration`: it hands the
   * job back with a checkpoint, and the other resumes it there to the uninterrupted result.
   */
  async function handBackAndResume(
    spec: JobSpec,
    expected: RunOutput,
    afterIteration: number,
  ): Promise<void> {
    // Lock and stall check far longer than the test: only the hand-back can move the job quickly.
    const env = {
      WORKER_DEVICES: 'gpu',
      WORKER_LOCK_DURATION_MS: '120000',
      WORKER_STALLED_INTERVAL_MS: '120000',
    };
    const workers = [processes.spawn(env), processes.spawn(env)];
    await waitForDevices(0, 2);
    const { job } = await submissions.create('default', spec);
    await service.app.jobQueue.enqueue(job.id, spec);
    await waitFor(
      async () => ((await jobs.get(job.id))?.progress?.iteration ?? 0) > afterIteration,
      60_000,
      'progress',
    );
    const [stopping, survivor] = await holderOf(job.id, workers);
    stopping.child.kill('SIGTERM');
    const [code] = await stopping.exited;
    expect(code).toBe(0);
    const handedBack = stopping.logs.find(
      (line) => line.msg === 'job handed back to the queue' && line.jobId === job.id,
    );
    expect(handedBack?.iteration).toBeGreaterThan(afterIteration);
    expect((await runs.loadCheckpoint(job.id))?.precision).toBe('float32');

    const finishedLine = await completedBy(job.id, survivor);
    expect(finishedLine.resumedFrom).toBe(handedBack?.iteration);
    await expectUninterrupted(job.id, expected);
  }

  it('a GPU run handed back on SIGTERM is resumed at once by another GPU worker: the uninterrupted result', {
    timeout: 120_000,
  }, async () => {
    await handBackAndResume(LONG_SPEC, await expectedLong(), 1500);
  });

  it('a model run on the GPU handed back on SIGTERM mid-epoch is resumed by another GPU worker: the uninterrupted result, validation included', {
    timeout: 120_000,
  }, async () => {
    // 800 training rows in batches of 48: an epoch is 17 steps, so the hand-back lands mid-epoch almost always
    const modelSpec = makeSpec({
      objective: {
        type: 'model',
        model: 'mlp',
        data: { builtin: 'two_moons', samples: 1000, noise: 0.2 },
        hidden: [16, 16],
        batchSize: 48,
      },
      optimizer: { name: 'adam', lr: 0.01 },
      stop: { maxIterations: 4000, fTol: null, maxSeconds: 600 },
      record: { every: 50 },
      device: 'gpu',
      seed: 3,
    });
    const dataset = modelDataFor(modelSpec.objective as ModelObjectiveSpec, modelSpec.seed);
    const expected = await runOnDeviceToCompletion(gpu.backend, modelSpec, { dataset });
    expect(expected.result.validation?.finalAccuracy).toBeGreaterThan(0.9);
    await handBackAndResume(modelSpec, expected, 500);
  });
});
