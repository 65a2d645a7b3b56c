import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobListSchema, jobSchema } from '../../src/schemas/job.ts';
import { problemSchema } from '../../src/schemas/problem-document.ts';
import { startTestService, type TestService } from './service.ts';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-9876543210';

const spec = {
  objective: { type: 'builtin', name: 'sphere' },
  optimizer: { name: 'sgd', lr: 0.1 },
  stop: { maxIterations: 50 },
  seed: 1,
};

function expectProblem(response: request.Response, status: number) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  return problemSchema.parse(response.body);
}

describe('API keys and tenants', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ env: { API_KEYS: `${ALICE}:alice,${BOB}:bob` } });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('answers 401 problem+json without a key or with a wrong one', async () => {
    const missing = await request(service.url).get('/v1/jobs');
    expect(expectProblem(missing, 401).detail).toMatch(/Authorization: Bearer/);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expectProblem(await request(service.url).get('/v1/jobs').set('authorization', 'Bearer nope'), 401);
    expectProblem(await request(service.url).get('/v1/jobs').set('authorization', `Basic ${ALICE}`), 401);
    expectProblem(await request(service.url).post('/v1/jobs').send(spec), 401);
    expectProblem(await request(service.url).get('/v1/catalog/objectives'), 401);
  });

  it('keeps probes, metrics and docs open', async () => {
    expect((await request(service.url).get('/healthz')).status).toBe(200);
    expect((await request(service.url).get('/metrics')).status).toBe(200);
    expect((await request(service.url).get('/openapi.json')).status).toBe(200);
  });

  it("shows a tenant only its own jobs: another tenant's id is a 404", async () => {
    const created = await request(service.url).post('/v1/jobs').auth(ALICE, { type: 'bearer' }).send(spec);
    expect(created.status).toBe(202);
    const job = jobSchema.parse(created.body);

    const own = await request(service.url).get(`/v1/jobs/${job.id}`).auth(ALICE, { type: 'bearer' });
    expect(own.status).toBe(200);

    for (const [method, suffix] of [
      ['get', ''],
      ['get', '/trajectory'],
      ['get', '/params'],
      ['get', '/events'],
      ['post', '/cancel'],
      ['delete', ''],
    ] as const) {
      const response = await request(service.url)
        [method](`/v1/jobs/${job.id}${suffix}`)
        .auth(BOB, { type: 'bearer' });
      expectProblem(response, 404);
    }
    const bobs = jobListSchema.parse(
      (await request(service.url).get('/v1/jobs').auth(BOB, { type: 'bearer' })).body,
    );
    expect(bobs.items.map((item) => item.id)).not.toContain(job.id);
    const alices = jobListSchema.parse(
      (await request(service.url).get('/v1/jobs').auth(ALICE, { type: 'bearer' })).body,
    );
    expect(alices.items.map((item) => item.id)).toContain(job.id);
  });

  it('scopes Idempotency-Key to the tenant', async () => {
    const key = `shared-key-${Date.now()}`;
    const alice = await request(service.url)
      .post('/v1/jobs')
      .auth(ALICE, { type: 'bearer' })
      .set('idempotency-key', key)
      .send(spec);
    const bob = await request(service.url)
      .post('/v1/jobs')
      .auth(BOB, { type: 'bearer' })
      .set('idempotency-key', key)
      .send(spec);
    expect(alice.status).toBe(202);
    expect(bob.status).toBe(202);
    expect(bob.body.id).not.toBe(alice.body.id);
  });
});

describe('rate limits', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({
      worker: false,
      env: { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' },
    });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('answers 429 problem+json with Retry-After past the limit, and never limits probes', async () => {
    for (let k = 0; k < 3; k++) expect((await request(service.url).get('/v1/jobs')).status).toBe(200);
    const limited = await request(service.url).get('/v1/jobs');
    const problem = expectProblem(limited, 429);
    expect(problem.title).toBe('Too many requests');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await request(service.url).get('/healthz')).status).toBe(200);
  });
});

describe('behind a reverse proxy (TRUST_PROXY)', () => {
  const forwarded = (url: string, client: string) =>
    request(url).get('/v1/jobs').set('x-forwarded-for', client);
  let trusting: TestService;
  let direct: TestService;
  beforeAll(async () => {
    const env = { RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_MS: '60000' };
    [trusting, direct] = await Promise.all([
      // The tests' requests come from 127.0.0.1: the proxy in front of the API here.
      startTestService({ worker: false, env: { ...env, TRUST_PROXY: '127.0.0.1' } }),
      startTestService({ worker: false, env }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([trusting?.close(), direct?.close()]);
  });

  it("limits each client address from the proxy's X-Forwarded-For, not the proxy as one client", async () => {
    for (let k = 0; k < 2; k++) expect((await forwarded(trusting.url, '203.0.113.7')).status).toBe(200);
    expect((await forwarded(trusting.url, '203.0.113.7')).status).toBe(429);
    expect((await forwarded(trusting.url, '198.51.100.9')).status).toBe(200);
  });

  it('ignores X-Forwarded-For when no proxy is trusted (a client cannot pick its own address)', async () => {
    for (let k = 0; k < 2; k++) expect((await forwarded(direct.url, `203.0.113.${k}`)).status).toBe(200);
    expect((await forwarded(direct.url, '198.51.100.9')).status).toBe(429);
  });
});
