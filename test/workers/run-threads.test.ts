import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToCompletion } from '../../src/core/run.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import type { JobRuns } from '../../src/store/job-runs.ts';
import type { JobSubmissions } from '../../src/store/job-submissions.ts';
import { TrajectoryStore } from '../../src/store/trajectory.ts';
import { CANCEL, HAND_BACK } from '../../workers/job-life.ts';
import { RunThreads, type ThreadSettings } from '../../workers/run-threads.ts';
import { jobStores } from '../helpers/job-stores.ts';
import { connectTestRedis, testRedisUrl } from '../helpers/redis.ts';
import { makeSpec, withoutTime } from '../helpers/specs.ts';
import { waitFor } from './helpers.ts';

/** Real worker threads (workers/thread.ts) on the test Redis, and a stand-in that crashes. */

let redis: Redis;
let cleanup: () => Promise<void>;
let jobs: JobRecords;
let runs: JobRuns;
let submissions: JobSubmissions;
let trajectories: TrajectoryStore;
let settings: ThreadSettings;

/** Seconds of 2-D sgd (stopped by its abort). */
const ENDLESS = makeSpec({
  optimizer: { name: 'sgd', lr: 1e-6 },
  stop: { maxIterations: 10_000_000, gradTol: 0, maxSeconds: 600 },
});

beforeAll(() => {
  let prefix: string;
  ({ redis, prefix, cleanup } = connectTestRedis('run-threads'));
  ({ jobs, submissions, runs } = jobStores(redis, prefix));
  trajectories = new TrajectoryStore(redis, prefix);
  settings = {
    redisUrl: testRedisUrl(),
    redisPrefix: prefix,
    checkpointIntervalMs: 100,
    inlineParamsMaxDim: 100,
    jobTtlSeconds: 0,
  };
});

afterAll(async () => {
  await cleanup();
});

/** Aborts with `reason` once the job has stored points: the run is under way on its thread. */
async function abortWhenRunning(id: string, reason: string): Promise<AbortSignal> {
  const controller = new AbortController();
  void waitFor(async () => (await trajectories.lastIteration(id)) > 0, 20_000, 'points').then(() =>
    controller.abort(reason),
  );
  return controller.signal;
}

describe('RunThreads', () => {
  it('starts every thread before the first job and runs a handed-over job: same result as a local run', async () => {
    const threads = await RunThreads.start(2, settings);
    try {
      expect(threads.size).toBe(2);
      const spec = makeSpec({ stop: { maxIterations: 2000 } });
      const { job } = await submissions.create('default', spec);
      const outcome = await threads.run({ jobId: job.id });
      expect(outcome).toMatchObject({ outcome: 'finished', status: 'completed', resumedFrom: null });
      const expected = runToCompletion(spec);
      expect(withoutTime(await trajectories.read(job.id, -1, 100_000))).toEqual(
        withoutTime(expected.trajectory),
      );
      expect((await jobs.get(job.id))?.result?.f).toBe(expected.result.f);
    } finally {
      await threads.close();
    }
    expect(threads.size).toBe(0);
  });

  it("forwards the job's abort to its thread: a cancel stops the run, a hand-back stores a checkpoint", async () => {
    const threads = await RunThreads.start(2, settings);
    try {
      const cancelled = (await submissions.create('default', ENDLESS)).job.id;
      const handedBack = (await submissions.create('default', ENDLESS)).job.id;
      const [cancel, handBack] = await Promise.all([
        threads.run({ jobId: cancelled }, await abortWhenRunning(cancelled, CANCEL)),
        threads.run({ jobId: handedBack }, await abortWhenRunning(handedBack, HAND_BACK)),
      ]);
      expect(cancel).toMatchObject({ outcome: 'finished', status: 'cancelled', stopReason: 'cancelled' });
      expect((await jobs.get(cancelled))?.status).toBe('cancelled');
      expect(handBack.outcome).toBe('handed_back');
      if (handBack.outcome !== 'handed_back') return;
      expect(handBack.iteration).toBeGreaterThan(0);
      expect((await runs.loadCheckpoint(handedBack))?.iteration).toBe(handBack.iteration);
      expect((await jobs.get(handedBack))?.status).toBe('running');
    } finally {
      await threads.close();
    }
  });

  it('fails the job of a thread that dies, and replaces the thread', async () => {
    const exits: Error[] = [];
    const threads = await RunThreads.start(2, settings, {
      entry: new URL('./fixtures/crashing-thread.mjs', import.meta.url),
      onThreadExit: (error) => exits.push(error),
    });
    try {
      await expect(threads.run({ jobId: 'crash' })).rejects.toThrow('thread crashed');
      expect(exits.map((error) => error.message)).toEqual(['thread crashed']);
      await waitFor(async () => threads.size === 2, 10_000, 'a replacement thread');
      const outcomes = await Promise.all([threads.run({ jobId: 'a' }), threads.run({ jobId: 'b' })]);
      expect(outcomes).toEqual([
        { outcome: 'skipped', reason: 'missing' },
        { outcome: 'skipped', reason: 'missing' },
      ]);
    } finally {
      await threads.close();
    }
  });
});
