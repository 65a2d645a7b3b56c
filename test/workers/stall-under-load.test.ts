import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { runToCompletion } from '../../src/core/run.ts';
import { createJobQueue, enqueueJob, type JobQueue, QUEUE_NAME } from '../../src/queue/job-queue.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import type { JobSubmissions } from '../../src/store/job-submissions.ts';
import { TrajectoryStore } from '../../src/store/trajectory.ts';
import { jobStores } from '../helpers/job-stores.ts';
import { connectTestRedis, createTestRedis } from '../helpers/redis.ts';
import { makeSpec, withoutTime } from '../helpers/specs.ts';
import { waitFor, waitForStatus } from './helpers.ts';
import { recordEvents, WorkerProcesses } from './worker-processes.ts';

/**
 * The default lock (WORKER_LOCK_DURATION_MS) and stall check (WORKER_STALLED_INTERVAL_MS) are
 * short so that a crashed worker's jobs move on within seconds; a live worker's long run must
 * still never be taken for stalled, also when every core is busy. Two worker processes with the
 * defaults, one running a 14-second job while the other checks for stalled jobs, and busy
 * processes keeping every core saturated: the job runs once, from its start to its end.
 * (Checked against a worker that runs the job on its main thread in one piece: the other worker
 * then takes the job over as stalled, and this test fails.)
 */

let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
let jobs: JobRecords;
let submissions: JobSubmissions;
let trajectories: TrajectoryStore;
let queue: JobQueue;
let processes: WorkerProcesses;
const busy: ChildProcess[] = [];

/** A run stopped by its time budget (14 s), recording every 1000th point. */
const SPEC = makeSpec({
  objective: { type: 'builtin', name: 'rosenbrock', dim: 100 },
  optimizer: { name: 'adam', lr: 1e-4 },
  stop: { maxIterations: 10_000_000, gradTol: 0, maxSeconds: 14 },
  record: { every: 1000, maxPoints: 20_000 },
});

beforeAll(() => {
  ({ redis, prefix, cleanup } = connectTestRedis('stall-load'));
  ({ jobs, submissions } = jobStores(redis, prefix));
  trajectories = new TrajectoryStore(redis, prefix);
  queue = createJobQueue(redis, prefix);
  processes = new WorkerProcesses(prefix);
});

afterEach(async () => {
  for (const child of busy.splice(0)) {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  }
  await processes.killAll();
});

afterAll(async () => {
  await queue?.close();
  await cleanup();
});

describe('long runs under full CPU load', { timeout: 120_000 }, () => {
  it('are never taken for stalled with the default lock and stall check: one attempt, trajectory whole', async () => {
    const defaults = loadConfig({});
    expect(defaults.workerLockDurationMs).toBeLessThanOrEqual(10_000);
    expect(defaults.workerStalledIntervalMs).toBeLessThanOrEqual(2000);
    // Two workers: the one that does not hold the job checks for stalled jobs while the other runs it.
    const workers = [processes.spawn(), processes.spawn()];
    const started = (line: Record<string, unknown>) => line.msg === 'worker started';
    await waitFor(async () => workers.every((worker) => worker.logs.some(started)), 60_000, 'the workers');

    const stalled: string[] = [];
    const eventsConnection = createTestRedis();
    const queueEvents = new QueueEvents(QUEUE_NAME, { connection: eventsConnection, prefix });
    queueEvents.on('stalled', ({ jobId }) => stalled.push(jobId));
    await queueEvents.waitUntilReady();
    try {
      // One busy process per core: the job's thread, the worker's main thread and Redis compete.
      for (let k = 0; k < availableParallelism(); k++) {
        busy.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
      }
      const { job } = await submissions.create('default', SPEC);
      const events = await recordEvents(jobs, job.id);
      await enqueueJob(queue, job.id);

      // BullMQ's counters, read while the entry exists (it is removed on completion).
      let attemptsStarted = 0;
      let stalledCounter = 0;
      let entryReads = 0;
      const watch = setInterval(async () => {
        const entry = await queue.getJob(job.id);
        if (!entry) return;
        entryReads += 1;
        attemptsStarted = Math.max(attemptsStarted, entry.attemptsStarted);
        stalledCounter = Math.max(stalledCounter, entry.stalledCounter);
      }, 250);
      const { record } = await waitForStatus(jobs, job.id, ['completed', 'failed', 'cancelled'], 90_000);
      clearInterval(watch);
      events.stop();

      expect(record.status).toBe('completed');
      expect(record.result?.stopReason).toBe('time_limit');
      expect(entryReads).toBeGreaterThan(20);
      expect(attemptsStarted).toBe(1);
      expect(stalledCounter).toBe(0);
      expect(stalled).toEqual([]);
      expect(events.events).toEqual(['running', 'completed']);
      const isFinished = (line: Record<string, unknown>) =>
        line.msg === 'job finished' && line.jobId === job.id;
      await waitFor(
        async () => workers.some((worker) => worker.logs.some(isFinished)),
        10_000,
        'the log line',
      );
      const finished = workers.flatMap((worker) => worker.logs.filter(isFinished));
      expect(finished).toHaveLength(1);
      expect(finished[0].resumedFrom).toBeNull();

      // The trajectory of an uninterrupted run of as many iterations, point for point.
      const iterations = record.result?.iterations ?? 0;
      expect(iterations).toBeGreaterThan(10_000);
      const expected = runToCompletion({
        ...SPEC,
        stop: { ...SPEC.stop, maxIterations: iterations, maxSeconds: 600 },
      });
      const stored = await trajectories.read(job.id, -1, 100_000);
      expect(withoutTime(stored)).toEqual(withoutTime(expected.trajectory));
      expect(record.result?.x).toEqual(expected.result.x);
      expect(record.result?.f).toBe(expected.result.f);
    } finally {
      await queueEvents.close();
      eventsConnection.disconnect();
    }
  });
});
