import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToCompletion } from '../../src/core/run.ts';
import { createJobQueue, enqueueJob, type JobQueue } from '../../src/queue/job-queue.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import type { JobRuns } from '../../src/store/job-runs.ts';
import type { JobSubmissions } from '../../src/store/job-submissions.ts';
import { TrajectoryStore } from '../../src/store/trajectory.ts';
import { WorkerRegistry } from '../../src/store/workers.ts';
import { type RunningWorker, startWorker } from '../../workers/service.ts';
import { jobStores } from '../helpers/job-stores.ts';
import { connectTestRedis } from '../helpers/redis.ts';
import { makeSpec, withoutTime } from '../helpers/specs.ts';
import { testConfig, waitFor, waitForStatus } from './helpers.ts';

let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
let jobs: JobRecords;
let runs: JobRuns;
let submissions: JobSubmissions;
let trajectories: TrajectoryStore;
let queue: JobQueue;
let worker: RunningWorker;

beforeAll(async () => {
  ({ redis, prefix, cleanup } = connectTestRedis('worker'));
  ({ jobs, submissions, runs } = jobStores(redis, prefix));
  trajectories = new TrajectoryStore(redis, prefix);
  queue = createJobQueue(redis, prefix);
  worker = await startWorker(testConfig(prefix));
});

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  await cleanup();
});

/** Creates and enqueues a job; `withSpec`: the queue entry carries the spec, as the API's do. */
async function submit(spec: ReturnType<typeof makeSpec>, withSpec = false): Promise<string> {
  const { job } = await submissions.create('default', spec);
  await enqueueJob(queue, job.id, withSpec ? spec : undefined);
  return job.id;
}

/** The job's trajectory, result and params equal an uninterrupted local run's. */
async function expectSameAsLocalRun(id: string, spec: ReturnType<typeof makeSpec>): Promise<void> {
  const { record } = await waitForStatus(jobs, id, ['completed', 'failed', 'cancelled']);
  expect(record.status).toBe('completed');
  expect(record.startedAt).not.toBeNull();
  const expected = runToCompletion(spec);
  const stored = await trajectories.read(id, -1, 100_000);
  expect(withoutTime(stored)).toEqual(withoutTime(expected.trajectory));
  const { wallMs: _a, ...result } = record.result!;
  const { wallMs: _b, ...expectedResult } = expected.result;
  expect(result).toEqual(expectedResult);
  expect(record.progress).toEqual({
    iteration: expected.result.iterations,
    maxIterations: spec.stop.maxIterations,
    f: expected.result.f,
    gradNorm: expected.result.gradNorm,
  });
  expect(Array.from((await jobs.params(id, 'final'))!)).toEqual(expected.result.x);
  expect(Array.from((await jobs.params(id, 'best'))!)).toEqual(expected.result.best.x);
  expect(await runs.loadCheckpoint(id)).toBeNull();
}

describe('worker', () => {
  it('runs a job on a worker thread: its trajectory and result equal runToCompletion', async () => {
    const spec = makeSpec({ stop: { maxIterations: 3000 } });
    const id = await submit(spec);
    await expectSameAsLocalRun(id, spec);
  });

  it('completes a diverging run with stopReason diverged', async () => {
    const spec = makeSpec({ optimizer: { name: 'sgd', lr: 10 }, stop: { maxIterations: 1000 } });
    const id = await submit(spec);
    const { record } = await waitForStatus(jobs, id, ['completed', 'failed', 'cancelled']);
    expect(record.status).toBe('completed');
    expect(record.result?.stopReason).toBe('diverged');
    expect(record.result?.iterations).toBe(runToCompletion(spec).result.iterations);
  });

  it('stops a running long job on cancel, with stopReason cancelled', async () => {
    const spec = makeSpec({
      objective: { type: 'builtin', name: 'quadratic', dim: 10_000 },
      optimizer: { name: 'sgd', lr: 0.01 },
      stop: { maxIterations: 10_000_000, gradTol: 0, maxSeconds: 600 },
    });
    const id = await submit(spec);
    await waitFor(
      async () => ((await jobs.get(id))?.progress?.iteration ?? 0) > 10,
      20_000,
      'the run to start',
    );
    const requested = performance.now();
    const cancelled = jobs.requestCancel(id);
    const { record, at } = await waitForStatus(jobs, id, ['completed', 'failed', 'cancelled']);
    await cancelled;
    const latencyMs = at - requested;
    console.log(`cancel latency (request → status cancelled): ${latencyMs.toFixed(1)} ms`);
    expect(record.status).toBe('cancelled');
    expect(record.result?.stopReason).toBe('cancelled');
    expect(record.result?.iterations).toBeLessThan(10_000_000);
    // The trajectory ends with the final iteration, stored before the status changed.
    expect(await trajectories.lastIteration(id)).toBe(record.result?.iterations);
  });

  it('skips a job cancelled while queued', async () => {
    const spec = makeSpec();
    const { job } = await submissions.create('default', spec);
    await jobs.requestCancel(job.id);
    await enqueueJob(queue, job.id);
    await waitFor(
      async () => (await queue.getJobCounts('completed', 'active', 'wait')).wait === 0,
      10_000,
      'queue',
    );
    const record = await jobs.get(job.id);
    expect(record?.status).toBe('cancelled');
    expect(await trajectories.lastIteration(job.id)).toBe(-1);
  });

  it('marks a job failed (a system error) when its processor throws on the last attempt', async () => {
    // A record whose spec the core cannot run: a corrupt record stands in for a system error.
    const spec = makeSpec();
    const broken = {
      ...spec,
      objective: { ...spec.objective, name: 'no_such_function' },
    } as unknown as typeof spec;
    const { job } = await submissions.create('default', broken);
    await enqueueJob(queue, job.id);
    const { record } = await waitForStatus(jobs, job.id, ['completed', 'failed', 'cancelled']);
    expect(record.status).toBe('failed');
    expect(record.error?.code).toBe('worker_error');
    expect(record.error?.message.length).toBeGreaterThan(0);
    expect(record.result).toBeNull();
  });

  it('skips a job whose record was deleted while it was queued', async () => {
    const { job } = await submissions.create('default', makeSpec());
    await jobs.remove(job.id);
    await enqueueJob(queue, job.id);
    await waitFor(async () => (await queue.getJobCounts('wait', 'active')).wait === 0, 10_000, 'queue');
    await waitFor(async () => (await queue.getJobCounts('active')).active === 0, 10_000, 'queue');
    expect(await jobs.get(job.id)).toBeNull();
    expect(await redis.exists(jobs.keys.points(job.id))).toBe(0);
  });

  it('runs a small job on the main thread straight from its queue entry: same trajectory and result', async () => {
    const spec = makeSpec({ stop: { maxIterations: 200 } });
    await expectSameAsLocalRun(await submit(spec, true), spec);
  });

  it('runs a small job whose queue entry has no spec on a thread: same trajectory and result', async () => {
    const spec = makeSpec({ stop: { maxIterations: 200 } });
    await expectSameAsLocalRun(await submit(spec), spec);
  });

  it('continues a small run not done within its first slice on a worker thread: same trajectory and result', async () => {
    // ~100k 2-D adam steps: far longer than the 5 ms first slice on the main thread.
    const spec = makeSpec({ stop: { maxIterations: 100_000, gradTol: 0 } });
    const [fromEntry, fromRecord] = await Promise.all([submit(spec, true), submit(spec)]);
    await expectSameAsLocalRun(fromEntry, spec);
    await expectSameAsLocalRun(fromRecord, spec);
  });

  it('runs a job too large for the main thread on a worker thread: same trajectory and result', async () => {
    const spec = makeSpec({
      objective: { type: 'builtin', name: 'rosenbrock', dim: 40 },
      stop: { maxIterations: 500 },
    });
    await expectSameAsLocalRun(await submit(spec, true), spec);
  });

  it('leaves a small job cancelled while queued alone: no points, no params', async () => {
    const spec = makeSpec();
    const { job } = await submissions.create('default', spec);
    await jobs.requestCancel(job.id);
    await enqueueJob(queue, job.id, spec);
    await waitFor(
      async () => (await queue.getJobCounts('completed', 'active', 'wait')).wait === 0,
      10_000,
      'queue',
    );
    await waitFor(async () => (await queue.getJobCounts('active')).active === 0, 10_000, 'queue');
    expect((await jobs.get(job.id))?.status).toBe('cancelled');
    expect(await redis.exists(jobs.keys.points(job.id), jobs.keys.params(job.id))).toBe(0);
  });

  it('records a heartbeat in the workers zset', async () => {
    const registry = new WorkerRegistry(redis, prefix);
    const seen = await registry.alive(5000);
    expect(seen).toContain(worker.id);
  });
});
