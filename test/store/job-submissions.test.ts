import { describe, expect, it } from 'vitest';
import { jobStores, useJobStores } from '../helpers/job-stores.ts';
import { makeSpec } from '../helpers/specs.ts';

/** A job's first write (src/store/job-submissions.ts): create, read back, idempotency keys. */

const { redis, prefix, jobs, submissions } = useJobStores('submissions');

const _params = { final: new Float64Array([1, 2]), best: new Float64Array([3, -0.5]) };

describe('JobSubmissions.create and JobRecords.get', () => {
  it('creates a queued job with an unguessable id and reads it back', async () => {
    const spec = makeSpec({ label: 'first' });
    const { job, created } = await submissions.create('alice', spec);
    expect(created).toBe(true);
    expect(job.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await jobs.get(job.id)).toEqual({
      id: job.id,
      tenant: 'alice',
      status: 'queued',
      spec,
      progress: null,
      result: null,
      error: null,
      createdAt: job.createdAt,
      startedAt: null,
      finishedAt: null,
      cancelRequested: false,
    });
  });

  it('gives distinct ids to distinct jobs', async () => {
    const ids = new Set<string>();
    for (let k = 0; k < 20; k++) ids.add((await submissions.create('alice', makeSpec())).job.id);
    expect(ids.size).toBe(20);
  });

  it("hides another tenant's job and unknown ids", async () => {
    const { job } = await submissions.create('alice', makeSpec());
    expect(await jobs.get(job.id, 'bob')).toBeNull();
    expect((await jobs.get(job.id, 'alice'))?.id).toBe(job.id);
    expect(await jobs.get('no-such-job')).toBeNull();
  });
});

describe('idempotency', () => {
  it('returns the same job for the same key and tenant', async () => {
    const first = await submissions.create('alice', makeSpec(), 'key-1');
    const second = await submissions.create('alice', makeSpec({ seed: 99 }), 'key-1');
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.job.id).toBe(first.job.id);
    expect(second.job.spec.seed).toBe(7);
  });

  it('scopes keys per tenant', async () => {
    const alice = await submissions.create('alice', makeSpec(), 'shared-key');
    const bob = await submissions.create('bob', makeSpec(), 'shared-key');
    expect(bob.created).toBe(true);
    expect(bob.job.id).not.toBe(alice.job.id);
  });

  it('creates one job when the same key races', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => submissions.create('carol', makeSpec(), 'race-key')),
    );
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('creates a new job when the keyed job was removed', async () => {
    const first = await submissions.create('alice', makeSpec(), 'key-removed');
    await jobs.remove(first.job.id);
    const second = await submissions.create('alice', makeSpec(), 'key-removed');
    expect(second.created).toBe(true);
    expect(second.job.id).not.toBe(first.job.id);
  });

  it('expires keys after the idempotency TTL', async () => {
    const short = jobStores(redis, prefix, { idempotencyTtlSeconds: 100 }).submissions;
    await short.create('alice', makeSpec(), 'key-ttl');
    const ttl = await redis.ttl(short.keys.idempotency('alice', 'key-ttl'));
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
  });
});
