import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runToCompletion } from '../../src/core/run.ts';
import type { TrajectoryPoint } from '../../src/core/types.ts';
import { createJobQueue, enqueueJob, type JobQueue } from '../../src/queue/job-queue.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import type { JobRuns } from '../../src/store/job-runs.ts';
import type { JobSubmissions } from '../../src/store/job-submissions.ts';
import { TrajectoryStore } from '../../src/store/trajectory.ts';
import { WorkerRegistry } from '../../src/store/workers.ts';
import { jobStores } from '../helpers/job-stores.ts';
import { connectTestRedis } from '../helpers/redis.ts';
import { makeSpec, withoutTime } from '../helpers/specs.ts';
import { waitFor, waitForStatus } from './helpers.ts';
import { recordEvents, type WorkerProcess, WorkerProcesses, workerId } from './worker-processes.ts';

/**
 * Worker processes as deployed (`node --import tsx workers/worker.ts`), killed mid-job.
 * The job: 1e6 Adam steps on a 100-dimensional Rosenbrock (about 3 s), recording x.
 */

const SPEC = makeSpec({
  objective: { type: 'builtin', name: 'rosenbrock', dim: 100 },
  optimizer: { name: 'adam', lr: 1e-4 },
  stop: { maxIterations: 1_000_000, gradTol: 0, maxSeconds: 600 },
  record: { every: 1, params: true, maxPoints: 5000 },
});

let expected: ReturnType<typeof runToCompletion>;
let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
let jobs: JobRecords;
let runs: JobRuns;
let submissions: JobSubmissions;
let trajectories: TrajectoryStore;
let registry: WorkerRegistry;
let queue: JobQueue;
let processes: WorkerProcesses;

function spawnWorker(env: Record<string, string>, nodeArgs: string[] = []): WorkerProcess {
  return processes.spawn(env, nodeArgs);
}

async function waitForWorkers(count: number): Promise<void> {
  await waitFor(async () => (await registry.alive(1000)).length >= count, 30_000, `${count} workers`);
}

function expectWholeTrajectory(stored: TrajectoryPoint[]): void {
  const indices = stored.map((point) => point.i);
  expect(new Set(indices).size).toBe(indices.length);
  expect(indices).toEqual(expected.trajectory.map((point) => point.i));
  expect(withoutTime(stored)).toEqual(withoutTime(expected.trajectory));
}

function expectUninterruptedResult(
  result: NonNullable<Awaited<ReturnType<JobRecords['get']>>>['result'],
): void {
  expect(result?.stopReason).toBe(expected.result.stopReason);
  expect(result?.x).toEqual(expected.result.x);
  expect(result?.f).toBe(expected.result.f);
  expect(result?.iterations).toBe(expected.result.iterations);
  expect(result?.evaluations).toEqual(expected.result.evaluations);
  expect(result?.best).toEqual(expected.result.best);
}

beforeAll(() => {
  ({ redis, prefix, cleanup } = connectTestRedis('processes'));
  ({ jobs, submissions, runs } = jobStores(redis, prefix));
  trajectories = new TrajectoryStore(redis, prefix);
  registry = new WorkerRegistry(redis, prefix);
  queue = createJobQueue(redis, prefix);
  processes = new WorkerProcesses(prefix);
  expected = runToCompletion(SPEC);
});

afterEach(async () => {
  await processes.killAll();
  await redis.del(registry.keys.workers);
});

afterAll(async () => {
  await queue?.close();
  await cleanup();
});

/** Starts two workers and waits until both take jobs; resolves with them and their worker ids. */
async function startTwoWorkers(env: Record<string, string>): Promise<WorkerProcess[]> {
  const workers = [spawnWorker(env), spawnWorker(env)];
  await waitForWorkers(2);
  await waitFor(
    async () => workers.every((worker) => worker.logs.some((line) => line.msg === 'worker started')),
    30_000,
    'the workers to start',
  );
  return workers;
}

/** The worker process running `jobId` now (BullMQ's processedBy is the worker's id), and the other. */
async function holderOf(jobId: string, workers: WorkerProcess[]): Promise<[WorkerProcess, WorkerProcess]> {
  const holder = (await queue.getJob(jobId))?.processedBy;
  const index = workers.findIndex((worker) => workerId(worker) === holder);
  expect(index).toBeGreaterThanOrEqual(0);
  return [workers[index], workers[1 - index]];
}

// Processes start slowly on a loaded machine (tsx compiles on first use): generous timeouts.
describe('worker processes', { timeout: 90_000 }, () => {
  it('recovers a job whose worker was SIGKILLed: completed once, trajectory whole, same result', async () => {
    // A short lock and stall check so the crashed worker's job is taken over within a second or two.
    const workers = await startTwoWorkers({
      WORKER_LOCK_DURATION_MS: '1000',
      WORKER_STALLED_INTERVAL_MS: '300',
    });
    const { job } = await submissions.create('default', SPEC);
    const events = await recordEvents(jobs, job.id);
    await enqueueJob(queue, job.id);
    // Killed after a checkpoint and well into the run, with points past the checkpoint stored.
    await waitFor(
      async () => ((await runs.loadCheckpoint(job.id))?.iteration ?? 0) > 150_000,
      30_000,
      'a checkpoint',
    );
    const [victim, survivor] = await holderOf(job.id, workers);
    victim.child.kill('SIGKILL');
    const killedAt = performance.now();
    await victim.exited;
    const storedAtKill = await trajectories.lastIteration(job.id);
    const checkpointAtKill = (await runs.loadCheckpoint(job.id))?.iteration ?? 0;

    const { record, at } = await waitForStatus(jobs, job.id, ['completed', 'failed', 'cancelled'], 60_000);
    console.log(
      `SIGKILL with points stored up to i = ${storedAtKill} and a checkpoint at ${checkpointAtKill}: ` +
        `completed ${((at - killedAt) / 1000).toFixed(2)} s later (lock 1 s, stall check every 0.3 s)`,
    );
    events.stop();
    expect(record.status).toBe('completed');
    expect(events.events.filter((status) => status === 'completed')).toEqual(['completed']);
    // The worker logs after BullMQ records the completion, a moment after the store's status change.
    const isFinishedLine = (line: Record<string, unknown>) =>
      line.msg === 'job finished' && line.jobId === job.id;
    await waitFor(async () => survivor.logs.some(isFinishedLine), 10_000, 'the log line');
    const finished = survivor.logs.filter(isFinishedLine);
    expect(finished).toHaveLength(1);
    expect(finished[0].resumedFrom).toBeGreaterThanOrEqual(checkpointAtKill);
    expect(finished[0].resumedFrom).toBeGreaterThan(0);
    expect(victim.logs.filter((line) => line.msg === 'job finished')).toEqual([]);

    expectUninterruptedResult(record.result);
    expectWholeTrajectory(await trajectories.read(job.id, -1, 100_000));
  });

  it('fails a job given up after WORKER_MAX_STALLED_COUNT stalls, so its record does not stay running', async () => {
    // No stall allowed: the first crash of the worker that runs it gives the job up.
    const workers = await startTwoWorkers({
      WORKER_LOCK_DURATION_MS: '1000',
      WORKER_STALLED_INTERVAL_MS: '300',
      WORKER_MAX_STALLED_COUNT: '0',
    });
    const { job } = await submissions.create('default', SPEC);
    await enqueueJob(queue, job.id);
    await waitFor(async () => (await jobs.get(job.id))?.status === 'running', 30_000, 'the job running');
    const [victim, survivor] = await holderOf(job.id, workers);
    victim.child.kill('SIGKILL');
    await victim.exited;

    const { record } = await waitForStatus(jobs, job.id, ['completed', 'failed', 'cancelled'], 60_000);
    expect(record.status).toBe('failed');
    expect(record.error?.code).toBe('stalled');
    expect(record.error?.message).toMatch(/stopped 1 times \(WORKER_MAX_STALLED_COUNT\)/);
    expect(await queue.getJobState(job.id)).toBe('failed');
    expect(await jobs.activeCount('default')).toBe(0);
    // The worker logs after the store's change, so the line may arrive just after the status.
    await waitFor(
      async () => survivor.logs.some((line) => line.msg === 'job given up after too many stalls'),
      10_000,
      'the log line',
    );
  });

  it('hands a job back on SIGTERM: another worker resumes it at once, same result', async () => {
    // Lock and stall check far longer than the test: only the hand-back can move the job quickly.
    const workers = await startTwoWorkers({
      WORKER_LOCK_DURATION_MS: '120000',
      WORKER_STALLED_INTERVAL_MS: '120000',
    });
    const { job } = await submissions.create('default', SPEC);
    await enqueueJob(queue, job.id);
    await waitFor(
      async () => ((await jobs.get(job.id))?.progress?.iteration ?? 0) > 200_000,
      30_000,
      'progress',
    );
    const [stopping, survivor] = await holderOf(job.id, workers);

    const termAt = performance.now();
    stopping.child.kill('SIGTERM');
    const [code] = await stopping.exited;
    const exitedMs = performance.now() - termAt;
    expect(code).toBe(0);
    const handedBack = stopping.logs.find(
      (line) => line.msg === 'job handed back to the queue' && line.jobId === job.id,
    );
    expect(handedBack?.iteration).toBeGreaterThan(0);

    // The other worker continues past the hand-back point (its first progress report).
    const handedBackAt = Number(handedBack?.iteration);
    await waitFor(
      async () => {
        const record = await jobs.get(job.id);
        return record?.status !== 'running' || (record.progress?.iteration ?? 0) > handedBackAt;
      },
      30_000,
      'the other worker to resume the job',
    );
    const resumedMs = performance.now() - termAt;
    const { record, at } = await waitForStatus(jobs, job.id, ['completed', 'failed', 'cancelled'], 30_000);
    console.log(
      `SIGTERM at iteration ${handedBackAt}: the worker exited after ${exitedMs.toFixed(0)} ms, ` +
        `the other worker was progressing ${resumedMs.toFixed(0)} ms after SIGTERM, ` +
        `job completed ${((at - termAt) / 1000).toFixed(2)} s after SIGTERM (lock and stall interval 120 s)`,
    );
    expect(record.status).toBe('completed');
    const finished = await waitFor(
      async () => survivor.logs.find((line) => line.msg === 'job finished' && line.jobId === job.id),
      10_000,
      'the log line',
    );
    expect(finished?.resumedFrom).toBe(handedBackAt);

    expectUninterruptedResult(record.result);
    expectWholeTrajectory(await trajectories.read(job.id, -1, 100_000));
  });

  it('runs thread jobs when started with node options a thread refuses (node --max-old-space-size=…)', async () => {
    // Node refuses V8 and per-process options in a thread's explicit execArgv (BullMQ's sandbox
    // passed them, and every thread job failed); the run threads inherit them instead.
    const worker = spawnWorker({}, ['--max-old-space-size=512', '--stack-size=2000', '--title=descent-test']);
    await waitForWorkers(1);
    const spec = makeSpec({
      objective: { type: 'builtin', name: 'rosenbrock', dim: 100 },
      optimizer: { name: 'adam', lr: 1e-3 },
      stop: { maxIterations: 3000, gradTol: 0 },
    });
    const { job } = await submissions.create('default', spec);
    await enqueueJob(queue, job.id);
    const { record } = await waitForStatus(jobs, job.id, ['completed', 'failed', 'cancelled'], 60_000);
    expect(record.error).toBeNull();
    expect(record.status).toBe('completed');
    const uninterrupted = runToCompletion(spec).result;
    expect(record.result?.f).toBe(uninterrupted.f);
    expect(record.result?.iterations).toBe(3000);
    expect(worker.logs.filter((line) => line.msg === 'job attempt failed')).toEqual([]);
  });
});
