import { describe, expect, it } from 'vitest';
import { Run } from '../../src/core/run.ts';
import { JobRuns } from '../../src/store/job-runs.ts';
import { TrajectoryStore } from '../../src/store/trajectory.ts';
import { useJobStores } from '../helpers/job-stores.ts';
import { createTestRedis } from '../helpers/redis.ts';
import { sampleResult } from '../helpers/results.ts';
import { makeSpec } from '../helpers/specs.ts';

/** What a worker writes while a job runs (src/store/job-runs.ts): transitions, the last points, checkpoints. */

const { redis, prefix, jobs, submissions, runs } = useJobStores('runs');

const params = { final: new Float64Array([1, 2]), best: new Float64Array([3, -0.5]) };

describe('status transitions', () => {
  it('runs queued → running → completed, storing result, progress and params', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    const running = (await runs.begin(job.id))?.record ?? null;
    expect(running?.status).toBe('running');
    expect(running?.startedAt).not.toBeNull();
    expect(await runs.setProgress(job.id, { iteration: 5, maxIterations: 1000, f: 2, gradNorm: 3 })).toBe(
      false,
    );
    expect((await jobs.get(job.id))?.progress).toEqual({
      iteration: 5,
      maxIterations: 1000,
      f: 2,
      gradNorm: 3,
    });

    expect(await runs.finish(job.id, 'completed', sampleResult(), params)).toBe(true);
    const done = await jobs.get(job.id);
    expect(done?.status).toBe('completed');
    expect(done?.result).toEqual(sampleResult());
    expect(done?.progress).toEqual({ iteration: 10, maxIterations: 1000, f: 0.5, gradNorm: 0.25 });
    expect(done?.finishedAt).not.toBeNull();
    expect(await jobs.params(job.id, 'final')).toEqual(new Float64Array([1, 2]));
    expect(await jobs.params(job.id, 'best')).toEqual(new Float64Array([3, -0.5]));
  });

  it('keeps startedAt from the first start when a retried job is marked running again', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    const first = (await runs.begin(job.id))?.record ?? null;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = (await runs.begin(job.id))?.record ?? null;
    expect(again?.status).toBe('running');
    expect(again?.startedAt).toBe(first?.startedAt);
  });

  it('never moves a finished job back to running, nor finishes it twice', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    await runs.begin(job.id);
    expect(await runs.finish(job.id, 'completed', sampleResult(), params)).toBe(true);
    expect((await runs.begin(job.id))?.record ?? null).toBeNull();
    expect(await runs.finish(job.id, 'cancelled', sampleResult({ stopReason: 'cancelled' }), params)).toBe(
      false,
    );
    expect(await runs.fail(job.id, { code: 'x', message: 'y' })).toBe(false);
    expect(await runs.setProgress(job.id, { iteration: 1, maxIterations: 1, f: 0, gradNorm: 0 })).toBe(false);
    const record = await jobs.get(job.id);
    expect(record?.status).toBe('completed');
    expect(record?.result?.stopReason).toBe('max_iterations');
  });

  it('does not finish a job that never ran', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    expect(await runs.finish(job.id, 'completed', sampleResult(), params)).toBe(false);
    expect((await jobs.get(job.id))?.status).toBe('queued');
  });

  it('fails queued or running jobs with an error', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    await runs.begin(job.id);
    expect(await runs.fail(job.id, { code: 'worker_error', message: 'boom' })).toBe(true);
    const record = await jobs.get(job.id);
    expect(record?.status).toBe('failed');
    expect(record?.error).toEqual({ code: 'worker_error', message: 'boom' });
    expect(record?.finishedAt).not.toBeNull();
  });

  it('returns null for transitions of unknown jobs', async () => {
    expect((await runs.begin('missing'))?.record ?? null).toBeNull();
    expect(await jobs.requestCancel('missing')).toBeNull();
  });

  it('applies the finished-job TTL to the record, trajectory and params', async () => {
    const expiring = new JobRuns(redis, prefix, { finishedTtlSeconds: 3600 });
    const { job } = await submissions.create('alice', makeSpec());
    await expiring.begin(job.id);
    await expiring.append(job.id, [{ i: 0, f: 1, gradNorm: 1, lr: 0.1, t: 0 }]);
    await expiring.finish(job.id, 'completed', sampleResult(), params);
    for (const key of [
      expiring.keys.job(job.id),
      expiring.keys.points(job.id),
      expiring.keys.params(job.id),
    ]) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(3500);
    }
  });
});

describe('finishing with the last points', () => {
  const point = (i: number) => ({ i, f: 1 / (1 + i), gradNorm: 1, lr: 0.1, t: i });

  it('finish stores the last points with the result in one script, skipping points already stored', async () => {
    const trajectories = new TrajectoryStore(redis, prefix);
    const { job } = await submissions.create('alice', makeSpec());
    await runs.begin(job.id);
    await runs.append(job.id, [point(0), point(1)]);
    expect(await runs.finish(job.id, 'completed', sampleResult(), params, 10, [point(1), point(2)])).toBe(
      true,
    );
    expect((await trajectories.read(job.id, -1, 10)).map((p) => p.i)).toEqual([0, 1, 2]);
    expect((await jobs.get(job.id))?.status).toBe('completed');
  });

  it('announces each finished or failed job once on the finished channel', async () => {
    const subscriber = createTestRedis();
    const messages: unknown[] = [];
    await subscriber.subscribe(jobs.keys.finishedChannel);
    subscriber.on('message', (_channel, message) => messages.push(JSON.parse(message)));
    const done = (await submissions.create('alice', makeSpec())).job;
    await runs.begin(done.id);
    await runs.finish(done.id, 'completed', sampleResult(), params, 10);
    await runs.finish(done.id, 'completed', sampleResult(), params, 10);
    const failed = (await submissions.create('alice', makeSpec())).job;
    await runs.fail(failed.id, { code: 'x', message: 'y' });
    await runs.fail(failed.id, { code: 'x', message: 'y' });
    await expect
      .poll(() => messages)
      .toEqual([
        { id: done.id, status: 'completed', iterations: 10, wallMs: 1.5 },
        { id: failed.id, status: 'failed', iterations: null, wallMs: null },
      ]);
    await subscriber.quit();
  });

  it('finishUnstarted finishes a queued job in one script: startedAt, points, result, params, status', async () => {
    const trajectories = new TrajectoryStore(redis, prefix);
    const { job } = await submissions.create('alice', makeSpec());
    const subscriber = createTestRedis();
    const messages: string[] = [];
    await subscriber.subscribe(jobs.keys.events(job.id));
    subscriber.on('message', (_channel, message) => messages.push(message));
    expect(
      await runs.finishUnstarted(job.id, 'completed', sampleResult(), params, 1000, [point(0), point(1)]),
    ).toBe('finished');
    const record = await jobs.get(job.id);
    expect(record?.status).toBe('completed');
    expect(record?.startedAt).not.toBeNull();
    expect(record?.finishedAt).not.toBeNull();
    expect(record?.result).toEqual(sampleResult());
    expect(record?.progress).toEqual({ iteration: 10, maxIterations: 1000, f: 0.5, gradNorm: 0.25 });
    expect((await trajectories.read(job.id, -1, 10)).map((p) => p.i)).toEqual([0, 1]);
    expect(await jobs.params(job.id, 'best')).toEqual(new Float64Array([3, -0.5]));
    await expect.poll(() => messages).toEqual(['completed']);
    await subscriber.quit();
    // Finished: a second attempt changes nothing.
    expect(await runs.finishUnstarted(job.id, 'completed', sampleResult(), params, 1000, [point(2)])).toBe(
      'gone',
    );
    expect(await trajectories.lastIteration(job.id)).toBe(1);
  });

  it('finishUnstarted also finishes a job an earlier attempt left running, keeping its startedAt', async () => {
    const { job } = await submissions.create('alice', makeSpec());
    const running = (await runs.begin(job.id))?.record ?? null;
    await runs.saveCheckpoint(job.id, new Run(makeSpec()).checkpoint());
    expect(await runs.finishUnstarted(job.id, 'completed', sampleResult(), params, 1000)).toBe('finished');
    const record = await jobs.get(job.id);
    expect(record?.status).toBe('completed');
    expect(record?.startedAt).toBe(running?.startedAt);
    expect(await runs.loadCheckpoint(job.id)).toBeNull();
  });

  it('finishUnstarted writes nothing for a cancelled or missing job, or one with a cancel request', async () => {
    const trajectories = new TrajectoryStore(redis, prefix);
    const cancelled = (await submissions.create('alice', makeSpec())).job;
    await jobs.requestCancel(cancelled.id);
    expect(
      await runs.finishUnstarted(cancelled.id, 'completed', sampleResult(), params, 1000, [point(0)]),
    ).toBe('gone');
    expect((await jobs.get(cancelled.id))?.status).toBe('cancelled');
    expect(await redis.exists(jobs.keys.points(cancelled.id), jobs.keys.params(cancelled.id))).toBe(0);

    expect(await runs.finishUnstarted('missing', 'completed', sampleResult(), params, 1000, [point(0)])).toBe(
      'gone',
    );
    expect(await redis.exists(jobs.keys.points('missing'), jobs.keys.job('missing'))).toBe(0);

    const flagged = (await submissions.create('alice', makeSpec())).job;
    await runs.begin(flagged.id);
    await jobs.requestCancel(flagged.id);
    expect(
      await runs.finishUnstarted(flagged.id, 'completed', sampleResult(), params, 1000, [point(0)]),
    ).toBe('cancel_requested');
    expect((await jobs.get(flagged.id))?.status).toBe('running');
    expect(await trajectories.lastIteration(flagged.id)).toBe(-1);
  });
});

describe('checkpoints', () => {
  it('round-trips a run checkpoint, and a run resumed from it ends as an uninterrupted one', async () => {
    const spec = makeSpec({ stop: { maxIterations: 200_000, gradTol: 0 } });
    const { job } = await submissions.create('alice', spec);
    await runs.begin(job.id);
    const run = new Run(spec);
    while (run.iteration < 100) run.advance(0);
    expect(run.done).toBe(false);
    const checkpoint = run.checkpoint();
    await runs.saveCheckpoint(job.id, checkpoint);
    const loaded = await runs.loadCheckpoint(job.id);
    expect(loaded).toEqual(checkpoint);

    const resumed = new Run(spec, { checkpoint: loaded! });
    while (!resumed.advance()) {}
    while (!run.advance()) {}
    const { wallMs: _a, ...expected } = run.result();
    const { wallMs: _b, ...actual } = resumed.result();
    expect(actual).toEqual(expected);
  });

  it('begins a job: marks it running and returns its checkpoint in one call', async () => {
    const spec = makeSpec();
    const { job } = await submissions.create('alice', spec);
    const first = await runs.begin(job.id);
    expect(first?.record.status).toBe('running');
    expect(first?.checkpoint).toBeNull();
    const checkpoint = new Run(spec).checkpoint();
    await runs.saveCheckpoint(job.id, checkpoint);
    const again = await runs.begin(job.id);
    expect(again?.checkpoint).toEqual(checkpoint);
    expect(again?.record.startedAt).toBe(first?.record.startedAt);
    await runs.finish(job.id, 'completed', sampleResult(), params, 1000);
    expect(await runs.begin(job.id)).toBeNull();
    expect((await jobs.get(job.id))?.progress?.maxIterations).toBe(1000);
  });

  it('writes no checkpoint for a job that is not running, and deletes it when the job finishes', async () => {
    const spec = makeSpec();
    const { job } = await submissions.create('alice', spec);
    const checkpoint = new Run(spec).checkpoint();
    await runs.saveCheckpoint(job.id, checkpoint);
    expect(await runs.loadCheckpoint(job.id)).toBeNull();
    await runs.begin(job.id);
    await runs.saveCheckpoint(job.id, checkpoint);
    expect(await runs.loadCheckpoint(job.id)).not.toBeNull();
    await runs.finish(job.id, 'completed', sampleResult(), params);
    expect(await runs.loadCheckpoint(job.id)).toBeNull();
  });
});
