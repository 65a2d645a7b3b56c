import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDescentClient,
  type DescentClient,
  DescentError,
  type JobSpec,
} from '../../src/client/index.ts';
import { jobSchema } from '../../src/schemas/job.ts';
import { JobRecords } from '../../src/store/job-records.ts';
import { startTestService, type TestService, waitFor } from './service.ts';

/**
 * POST /v1/jobs/batch against the real service, through the typed client: a batch of 1,000, all
 * or nothing with the offending spec's path, idempotency; the tenant cap (429); and the fair
 * order between tenants (one tenant's 10,000 queued jobs do not hold back another's one job).
 */

const tiny = (k: number): JobSpec => ({
  objective: { type: 'builtin', name: 'sphere', dim: 2 },
  optimizer: { name: 'sgd', lr: 0.1 },
  stop: { maxIterations: 1 },
  seed: 1,
  label: `tiny-${k}`,
});

describe('POST /v1/jobs/batch', () => {
  let service: TestService;
  let client: DescentClient;

  beforeAll(async () => {
    service = await startTestService();
    client = createDescentClient({ baseUrl: service.url });
  });

  afterAll(async () => {
    await service?.close();
  });

  /** The tenant's jobs as stored (the list index). */
  const jobCount = () => service.redis.zcard(`${service.config.redisPrefix}:jobs:default`);

  it('takes 1,000 specs in one call, answers them in order, and runs them all', async () => {
    const specs = Array.from({ length: 1000 }, (_, k) => tiny(k));
    const jobs = await client.submitBatch(specs);
    expect(jobs).toHaveLength(1000);
    expect(jobs.map((job) => job.spec.label)).toEqual(specs.map((spec) => spec.label));
    for (const job of jobs.slice(0, 5)) jobSchema.parse(job);
    expect(new Set(jobs.map((job) => job.id)).size).toBe(1000);
    expect(jobs.every((job) => job.status === 'queued' && job.spec.seed === 1)).toBe(true);
    const store = new JobRecords(service.redis, service.config.redisPrefix);
    const finished = await waitFor(
      async () => {
        const records = await store.getMany(jobs.map((job) => job.id));
        return records.every((record) => record?.status === 'completed') ? records : undefined;
      },
      60_000,
      200,
    );
    expect(finished.map((record) => record?.result?.iterations)).toEqual(jobs.map(() => 1));
  });

  it('refuses the whole batch when one spec is invalid, naming it jobs[i].…', async () => {
    const before = await jobCount();
    const specs = Array.from({ length: 600 }, (_, k) => tiny(k));
    specs[537] = { ...tiny(537), optimizer: { name: 'sgd', lr: -1 } };
    specs[12] = { ...tiny(12), objective: { type: 'builtin', name: 'sphere', dim: 2 }, start: { x0: [1] } };
    const error = await client.submitBatch(specs).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DescentError);
    const { status, problem } = error as DescentError;
    expect(status).toBe(400);
    expect(problem?.errors?.map((entry) => entry.path)).toEqual([
      'jobs[12].start.x0',
      'jobs[537].optimizer.lr',
    ]);
    expect(await jobCount()).toBe(before);
    const empty = await client.api.POST('/v1/jobs/batch', { body: { jobs: [] } });
    expect(empty.response.status).toBe(400);
    expect(empty.error?.errors?.[0].path).toBe('jobs');
  });

  it('returns the same jobs for a replayed Idempotency-Key, and creates no more', async () => {
    const specs = Array.from({ length: 20 }, (_, k) => tiny(k));
    const first = await client.submitBatch(specs, { idempotencyKey: 'grid-1' });
    const before = await jobCount();
    const again = await client.api.POST('/v1/jobs/batch', {
      body: { jobs: specs },
      params: { header: { 'idempotency-key': 'grid-1' } },
    });
    expect(again.response.status).toBe(202);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data?.items.map((job) => job.id)).toEqual(first.map((job) => job.id));
    expect(await jobCount()).toBe(before);
    const other = await client.submitBatch(specs, { idempotencyKey: 'grid-2' });
    expect(other.map((job) => job.id)).not.toEqual(first.map((job) => job.id));
  });
});

describe('MAX_ACTIVE_JOBS_PER_TENANT', () => {
  let service: TestService;
  let alice: DescentClient;
  let bob: DescentClient;

  beforeAll(async () => {
    service = await startTestService({
      worker: false,
      env: { API_KEYS: 'key-a:alice,key-b:bob', MAX_ACTIVE_JOBS_PER_TENANT: '5' },
    });
    alice = createDescentClient({ baseUrl: service.url, apiKey: 'key-a' });
    bob = createDescentClient({ baseUrl: service.url, apiKey: 'key-b' });
  });

  afterAll(async () => {
    await service?.close();
  });

  async function refused(submission: Promise<unknown>): Promise<void> {
    const error = await submission.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DescentError);
    expect((error as DescentError).status).toBe(429);
  }

  it('refuses with 429 and Retry-After what would take a tenant over the cap, counting each job, all or nothing', async () => {
    const four = await alice.submitBatch([tiny(0), tiny(1), tiny(2), tiny(3)]);
    const over = await alice.api.POST('/v1/jobs/batch', { body: { jobs: [tiny(4), tiny(5)] } });
    expect(over.response.status).toBe(429);
    expect(Number(over.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(over.error).toMatchObject({ status: 429, active: 4, requested: 2, cap: 5 });
    const fifth = await alice.submit(tiny(4));
    await refused(alice.submit(tiny(5)));
    await refused(
      alice.compare({
        objective: { type: 'builtin', name: 'booth' },
        runs: [{ optimizer: { name: 'sgd' } }],
      }),
    );
    // Nothing of the refused submissions was stored.
    expect(await service.redis.zcard(`${service.config.redisPrefix}:jobs:alice`)).toBe(5);
    // Another tenant has a cap of its own.
    expect(await bob.submitBatch([tiny(0), tiny(1), tiny(2), tiny(3), tiny(4)])).toHaveLength(5);
    // A finished job (here cancelled while queued) frees its place.
    expect((await alice.cancel(four[0].id)).status).toBe('cancelled');
    const again = await alice.submit(tiny(6));
    expect(again.status).toBe('queued');
    await refused(alice.submit(tiny(7)));
    expect(fifth.status).toBe('queued');
  });
});

describe('fair order between tenants', () => {
  let service: TestService;

  beforeAll(async () => {
    // Submitted with no worker running, so the order below is the queue's alone.
    service = await startTestService({ worker: false, env: { API_KEYS: 'key-a:alice,key-b:bob' } });
  });

  afterAll(async () => {
    await service?.close();
  });

  it("runs tenant B's one job long before the last of tenant A's 10,000 queued before it", async () => {
    const alice = createDescentClient({ baseUrl: service.url, apiKey: 'key-a' });
    const bob = createDescentClient({ baseUrl: service.url, apiKey: 'key-b' });
    const aliceIds: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const jobs = await alice.submitBatch(Array.from({ length: 1000 }, (_, k) => tiny(batch * 1000 + k)));
      aliceIds.push(...jobs.map((job) => job.id));
    }
    const bobJob = await bob.submit(tiny(0));
    await service.startWorker();
    const store = new JobRecords(service.redis, service.config.redisPrefix);
    const records = await waitFor(
      async () => {
        const all = await store.getMany([...aliceIds, bobJob.id]);
        return all.every((record) => record?.status === 'completed') ? all : undefined;
      },
      120_000,
      250,
    );
    const finishedAt = (k: number) => Date.parse(records[k]?.finishedAt ?? '');
    const bobAt = finishedAt(aliceIds.length);
    let aliceBefore = 0;
    let aliceAfter = 0;
    for (let k = 0; k < aliceIds.length; k++) {
      if (finishedAt(k) < bobAt) aliceBefore++;
      else if (finishedAt(k) > bobAt) aliceAfter++;
    }
    // Bob's job has the priority of a first job (1), as does Alice's first: it runs right after it.
    expect(aliceBefore).toBeLessThan(50);
    expect(aliceAfter).toBeGreaterThan(9_900);
  });
});
