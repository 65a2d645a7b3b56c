import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToCompletion } from '../../src/core/run.ts';
import type { JobSpec } from '../../src/core/spec.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import type { JobRuns } from '../../src/store/job-runs.ts';
import type { JobSubmissions } from '../../src/store/job-submissions.ts';
import { TrajectoryStore } from '../../src/store/trajectory.ts';
import { CANCEL, HAND_BACK, type Handover, JobLife, type LifeContext } from '../../workers/job-life.ts';
import { jobStores } from '../helpers/job-stores.ts';
import { connectTestRedis } from '../helpers/redis.ts';
import { makeSpec, withoutTime } from '../helpers/specs.ts';

/**
 * A job's life step by step, on this thread against the test Redis: the main thread's use
 * (finishInline) and the run thread's (run) are called directly, as the processor and a run
 * thread call them.
 */

let redis: Redis;
let cleanup: () => Promise<void>;
let jobs: JobRecords;
let runs: JobRuns;
let submissions: JobSubmissions;
let trajectories: TrajectoryStore;
let context: LifeContext;

/** 1M 2-D sgd steps that never converge (a few hundred ms): far longer than a first slice. */
const LONG = makeSpec({
  optimizer: { name: 'sgd', lr: 1e-6 },
  stop: { maxIterations: 1_000_000, gradTol: 0 },
});
const TINY = makeSpec({ stop: { maxIterations: 50 } });

beforeAll(() => {
  let prefix: string;
  ({ redis, prefix, cleanup } = connectTestRedis('job-life'));
  ({ jobs, submissions, runs } = jobStores(redis, prefix));
  trajectories = new TrajectoryStore(redis, prefix);
  context = { runs, checkpointIntervalMs: 50, inlineParamsMaxDim: 100 };
});

afterAll(async () => {
  await cleanup();
});

async function create(spec: JobSpec): Promise<string> {
  return (await submissions.create('default', spec)).job.id;
}

/** The stored job equals an uninterrupted local run: trajectory, result, status. */
async function expectSameAsLocalRun(id: string, spec: JobSpec): Promise<void> {
  const record = await jobs.get(id);
  expect(record?.status).toBe('completed');
  const expected = runToCompletion(spec);
  expect(withoutTime(await trajectories.read(id, -1, 1_000_000))).toEqual(withoutTime(expected.trajectory));
  const { wallMs: _a, ...result } = record?.result ?? { wallMs: 0 };
  const { wallMs: _b, ...expectedResult } = expected.result;
  expect(result).toEqual(expectedResult);
  expect(await runs.loadCheckpoint(id)).toBeNull();
}

/**
 * A context whose first point batch aborts the returned signal with `reason`: the abort reaches
 * the run while it runs (the first batch goes out after 50 ms or 500 points).
 */
function abortOnFirstBatch(reason: string): { context: LifeContext; signal: AbortSignal } {
  const controller = new AbortController();
  const spied = Object.create(runs) as JobRuns;
  spied.append = (id, points) => {
    controller.abort(reason);
    return runs.append(id, points);
  };
  return { context: { ...context, runs: spied }, signal: controller.signal };
}

describe('JobLife.finishInline (the main thread)', () => {
  it('finishes a tiny run in one script: same trajectory and result as a local run', async () => {
    const id = await create(TINY);
    const life = new JobLife(id, context);
    const outcome = await life.finishInline(TINY, false);
    expect(outcome).toMatchObject({
      outcome: 'finished',
      status: 'completed',
      iterations: 50,
      resumedFrom: null,
    });
    expect(life.phase).toBe('ended');
    await expectSameAsLocalRun(id, TINY);
  });

  it('detached: answers before the store does, with the script already sent', async () => {
    const id = await create(TINY);
    const outcome = await new JobLife(id, context).finishInline(TINY, true);
    if (outcome.outcome !== 'storing') throw new Error(`expected storing, got ${outcome.outcome}`);
    expect(outcome.finished.status).toBe('completed');
    expect(await outcome.stored).toBe('finished');
    await expectSameAsLocalRun(id, TINY);
  });

  it('hands a run not done within its slice to a thread, storing nothing', async () => {
    const id = await create(LONG);
    const life = new JobLife(id, context);
    const outcome = await life.finishInline(LONG, false, 1);
    if (outcome.outcome !== 'to_thread') throw new Error(`expected to_thread, got ${outcome.outcome}`);
    const fresh = outcome.handover.fresh;
    const indices = fresh?.points.map((point) => point.i) ?? [];
    expect(fresh?.checkpoint.iteration).toBeGreaterThan(0);
    expect(indices[0]).toBe(0);
    expect(indices.every((i, k) => k === 0 || i > indices[k - 1])).toBe(true);
    expect(indices[indices.length - 1]).toBeLessThanOrEqual(fresh?.checkpoint.iteration ?? -1);
    expect(life.phase).toBe('queued');
    expect((await jobs.get(id))?.status).toBe('queued');
    expect(await trajectories.lastIteration(id)).toBe(-1);
  });

  it('hands a job without a spec in its queue entry to a thread untouched', async () => {
    const id = await create(TINY);
    expect(await new JobLife(id, context).finishInline(undefined, false)).toEqual({
      outcome: 'to_thread',
      handover: { jobId: id },
    });
    expect((await jobs.get(id))?.status).toBe('queued');
  });

  it('skips a job cancelled while queued, writing nothing', async () => {
    const id = await create(TINY);
    await jobs.requestCancel(id);
    expect(await new JobLife(id, context).finishInline(TINY, false)).toEqual({
      outcome: 'skipped',
      reason: 'finished',
    });
    expect(await trajectories.lastIteration(id)).toBe(-1);
    expect(await jobs.params(id, 'final')).toBeNull();
  });

  it('leaves a job that an earlier attempt began and was asked to cancel to a thread, which cancels it', async () => {
    const id = await create(TINY);
    await runs.begin(id);
    await jobs.requestCancel(id);
    const outcome = await new JobLife(id, context).finishInline(TINY, false);
    expect(outcome).toEqual({ outcome: 'to_thread', handover: { jobId: id } });
    if (outcome.outcome !== 'to_thread') return;
    expect(await new JobLife(id, context).run(outcome.handover)).toMatchObject({
      outcome: 'finished',
      status: 'cancelled',
      stopReason: 'cancelled',
    });
    expect((await jobs.get(id))?.status).toBe('cancelled');
  });
});

describe('JobLife.run (a run thread)', () => {
  it("adopts the main thread's first slice: same trajectory and result, not resumed", async () => {
    const id = await create(LONG);
    const inline = await new JobLife(id, context).finishInline(LONG, false, 1);
    if (inline.outcome !== 'to_thread') throw new Error('expected to_thread');
    const outcome = await new JobLife(id, context).run(inline.handover);
    expect(outcome).toMatchObject({ outcome: 'finished', status: 'completed', resumedFrom: null });
    await expectSameAsLocalRun(id, LONG);
  });

  it('hands back on HAND_BACK: a checkpoint after every stored point; the next run resumes there', async () => {
    const id = await create(LONG);
    const handBack = abortOnFirstBatch(HAND_BACK);
    const handedBack = await new JobLife(id, handBack.context, handBack.signal).run({ jobId: id });
    if (handedBack.outcome !== 'handed_back')
      throw new Error(`expected handed_back, got ${handedBack.outcome}`);
    const checkpoint = await runs.loadCheckpoint(id);
    expect(checkpoint?.iteration).toBe(handedBack.iteration);
    // Every point up to the checkpoint is stored (points are recorded every 100 iterations here).
    const stored = await trajectories.lastIteration(id);
    expect(stored).toBeLessThanOrEqual(handedBack.iteration ?? -1);
    expect(stored).toBeGreaterThan((handedBack.iteration ?? 0) - 100);
    expect((await jobs.get(id))?.status).toBe('running');

    // A later attempt's first slice from the start is dropped: the stored checkpoint wins.
    const inline = await new JobLife(id, context).finishInline(LONG, false, 1);
    if (inline.outcome !== 'to_thread') throw new Error('expected to_thread');
    const resumed = await new JobLife(id, context).run(inline.handover as Handover);
    expect(resumed).toMatchObject({ outcome: 'finished', resumedFrom: handedBack.iteration });
    await expectSameAsLocalRun(id, LONG);
  });

  it('stops on a cancel: status cancelled, the trajectory ending at the last iteration', async () => {
    const id = await create(LONG);
    const cancel = abortOnFirstBatch(CANCEL);
    const outcome = await new JobLife(id, cancel.context, cancel.signal).run({ jobId: id });
    expect(outcome).toMatchObject({ outcome: 'finished', status: 'cancelled', stopReason: 'cancelled' });
    const record = await jobs.get(id);
    expect(record?.status).toBe('cancelled');
    expect(record?.result?.iterations).toBeLessThan(1_000_000);
    expect(await trajectories.lastIteration(id)).toBe(record?.result?.iterations);
  });

  it('skips a job whose record is gone', async () => {
    const id = await create(TINY);
    await jobs.remove(id);
    expect(await new JobLife(id, context).run({ jobId: id })).toEqual({
      outcome: 'skipped',
      reason: 'missing',
    });
  });

  it('runs a life once: a second start is refused', async () => {
    const id = await create(TINY);
    const life = new JobLife(id, context);
    await life.run({ jobId: id });
    await expect(life.run({ jobId: id })).rejects.toThrow(/ended, not queued/);
  });
});

describe('JobLife.fail', () => {
  it('marks a running job failed with a worker_error, and never a finished one', async () => {
    const id = await create(TINY);
    await runs.begin(id);
    expect(await new JobLife(id, context).fail(new Error('boom'))).toBe(true);
    const record = await jobs.get(id);
    expect(record?.status).toBe('failed');
    expect(record?.error).toEqual({ code: 'worker_error', message: 'boom' });

    const done = await create(TINY);
    await new JobLife(done, context).finishInline(TINY, false);
    expect(await new JobLife(done, context).fail(new Error('late'))).toBe(false);
    expect((await jobs.get(done))?.status).toBe('completed');
  });
});
