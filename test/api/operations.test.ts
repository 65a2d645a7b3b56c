import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { loadConfig } from '../../src/config.ts';
import { BUILTIN_NAMES } from '../../src/core/objectives/builtins/index.ts';
import { createApiRedis } from '../../src/redis/connection.ts';
import { spawnRedisServer } from '../../src/redis/embedded.ts';
import { objectiveCatalogSchema, optimizerCatalogSchema } from '../../src/schemas/catalog.ts';
import { evaluateResponseSchema } from '../../src/schemas/evaluate.ts';
import { jobSchema } from '../../src/schemas/job.ts';
import { optimizerCatalog } from '../../src/schemas/optimizer-catalog.ts';
import { problemSchema } from '../../src/schemas/problem-document.ts';
import { randomPrefix } from '../helpers/redis.ts';
import { FINISHED, startTestService, type TestService, waitFor } from './service.ts';

let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});

afterAll(async () => {
  await service?.close();
});

function expectProblem(response: request.Response, status: number) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  return problemSchema.parse(response.body);
}

describe('health and readiness', () => {
  it('GET /healthz is 200', async () => {
    const response = await request(service.url).get('/healthz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz is 200 when Redis answers and a worker beat recently', async () => {
    const response = await waitFor(async () => {
      const current = await request(service.url).get('/readyz');
      return current.status === 200 ? current : undefined;
    });
    expect(response.body).toMatchObject({ status: 'ready', redis: 'ok', workers: 1 });
    expect(response.body.lastWorkerSeenMs).toBeLessThan(service.config.workerSeenWithinMs);
  });
});

describe('without a worker', () => {
  let idle: TestService;
  beforeAll(async () => {
    idle = await startTestService({ worker: false });
  });
  afterAll(async () => {
    await idle?.close();
  });

  it('GET /readyz is 503 problem+json', async () => {
    const problem = expectProblem(await request(idle.url).get('/readyz'), 503);
    expect(problem.detail).toMatch(/no worker/);
  });

  it('a queued job is cancelled at once, and DELETE is 409 until then', async () => {
    const submitted = await request(idle.url)
      .post('/v1/jobs')
      .send({ objective: { type: 'builtin', name: 'sphere' }, optimizer: { name: 'sgd' } });
    const job = jobSchema.parse(submitted.body);
    expect(job.status).toBe('queued');
    expectProblem(await request(idle.url).delete(`/v1/jobs/${job.id}`), 409);
    expectProblem(await request(idle.url).get(`/v1/jobs/${job.id}/params`), 409);

    const page = await request(idle.url).get(`/v1/jobs/${job.id}/trajectory`);
    expect(page.body).toEqual({ points: [], next: -1, complete: false });

    const metricsBefore = await request(idle.url).get('/metrics');
    expect(metricsBefore.text).toMatch(/^descent_queue_depth 1$/m);
    expect(metricsBefore.text).toMatch(/^descent_jobs\{state="queued"\} 1$/m);

    const cancelled = await request(idle.url).post(`/v1/jobs/${job.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const metricsAfter = await request(idle.url).get('/metrics');
    expect(metricsAfter.text).toMatch(/^descent_queue_depth 0$/m);

    const events = await request(idle.url).get(`/v1/jobs/${job.id}/events`);
    expect(events.text).toMatch(/^retry: 1000\n\nevent: status\n/);
    expect(events.text).toMatch(/event: end\ndata: .*"status":"cancelled"/);
    expect((await request(idle.url).delete(`/v1/jobs/${job.id}`)).status).toBe(204);
  });
});

describe('GET /metrics', () => {
  it('exposes job, queue, run and SSE metrics in Prometheus text format', async () => {
    const submitted = await request(service.url)
      .post('/v1/jobs')
      .send({ objective: { type: 'builtin', name: 'booth' }, optimizer: { name: 'adam', lr: 0.1 }, seed: 1 });
    const id = submitted.body.id as string;
    await waitFor(async () => {
      const job = jobSchema.parse((await request(service.url).get(`/v1/jobs/${id}`)).body);
      return FINISHED.has(job.status) ? job : undefined;
    });
    const text = await waitFor(async () => {
      const response = await request(service.url).get('/metrics');
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      return /^descent_jobs_finished_total\{status="completed"\} [1-9]/m.test(response.text)
        ? response.text
        : undefined;
    });
    for (const name of [
      'descent_jobs_submitted_total',
      'descent_jobs{state="running"}',
      'descent_queue_depth',
      'descent_job_run_duration_seconds_count{status="completed"}',
      'descent_job_iterations_total',
      'descent_job_iterations_per_second_count',
      'descent_sse_subscribers',
      'descent_http_request_duration_seconds_count',
      'process_cpu_seconds_total',
    ]) {
      expect(text).toContain(name);
    }
  });
});

describe('documents and pages', () => {
  it('serves the OpenAPI 3.1 document with every endpoint', async () => {
    const response = await request(service.url).get('/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    const paths = response.body.paths as Record<string, Record<string, unknown>>;
    const operations = Object.entries(paths).flatMap(([route, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${route}`),
    );
    expect(operations.sort()).toEqual(
      [
        'POST /v1/jobs',
        'POST /v1/jobs/batch',
        'GET /v1/jobs',
        'GET /v1/jobs/{id}',
        'POST /v1/jobs/{id}/cancel',
        'DELETE /v1/jobs/{id}',
        'GET /v1/jobs/{id}/trajectory',
        'GET /v1/jobs/{id}/params',
        'GET /v1/jobs/{id}/events',
        'POST /v1/comparisons',
        'GET /v1/comparisons',
        'GET /v1/comparisons/{id}',
        'POST /v1/comparisons/{id}/cancel',
        'DELETE /v1/comparisons/{id}',
        'GET /v1/comparisons/{id}/events',
        'GET /v1/catalog/objectives',
        'GET /v1/catalog/optimizers',
        'GET /v1/catalog/models',
        'POST /v1/datasets',
        'GET /v1/datasets',
        'GET /v1/datasets/{id}',
        'DELETE /v1/datasets/{id}',
        'POST /v1/evaluate',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
      ].sort(),
    );
    expect(paths['/v1/jobs'].post).toMatchObject({
      requestBody: {
        content: { 'application/json': { schema: { $ref: '#/components/schemas/JobSpecInput' } } },
      },
    });
  });

  it('serves interactive docs at /docs and a page at /', async () => {
    const docs = await request(service.url).get('/docs/').redirects(2);
    expect(docs.status).toBe(200);
    expect(docs.text).toMatch(/swagger-ui/i);
    const root = await request(service.url).get('/');
    expect(root.status).toBe(200);
    expect(root.headers['content-type']).toMatch(/^text\/html/);
    expect(root.text).toContain('/docs');
  });

  it('echoes a valid x-request-id and makes one up otherwise', async () => {
    const given = await request(service.url).get('/healthz').set('x-request-id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await request(service.url).get('/healthz').set('x-request-id', 'bad id with spaces');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await request(service.url).get('/v1/jobs/missing').set('x-request-id', 'trace-9');
    expect(problem.body.requestId).toBe('trace-9');
  });
});

describe('GET /v1/catalog', () => {
  it('lists every builtin objective', async () => {
    const response = await request(service.url).get('/v1/catalog/objectives');
    expect(response.status).toBe(200);
    const catalog = objectiveCatalogSchema.parse(response.body);
    expect(catalog.items.map((entry) => entry.name)).toEqual([...BUILTIN_NAMES]);
    const rosenbrock = catalog.items.find((entry) => entry.name === 'rosenbrock');
    expect(rosenbrock).toMatchObject({ defaultDim: 2, minimum: 0, minimizers: [[1, 1]] });
  });

  it('lists every optimizer with parameters and rules', async () => {
    const response = await request(service.url).get('/v1/catalog/optimizers');
    expect(response.status).toBe(200);
    const catalog = optimizerCatalogSchema.parse(response.body);
    expect(catalog.items.map((entry) => entry.name)).toEqual(optimizerCatalog().map((entry) => entry.name));
    expect(catalog.items.map((entry) => entry.name)).toEqual(
      expect.arrayContaining(['sgd', 'momentum', 'adagrad', 'rmsprop', 'adam', 'adamw', 'newton', 'lbfgs']),
    );
    const adam = catalog.items.find((entry) => entry.name === 'adam');
    expect(adam?.parameters.find((parameter) => parameter.name === 'lr')).toMatchObject({ default: 0.001 });
  });
});

describe('POST /v1/evaluate', () => {
  it('returns f, the gradient and the Hessian of a builtin', async () => {
    const response = await request(service.url)
      .post('/v1/evaluate')
      .send({ objective: { type: 'builtin', name: 'sphere' }, x: [1, 2, 3] });
    expect(response.status).toBe(200);
    expect(evaluateResponseSchema.parse(response.body)).toEqual({
      f: 14,
      gradient: [2, 4, 6],
      hessian: [
        [2, 0, 0],
        [0, 2, 0],
        [0, 0, 2],
      ],
    });
  });

  it('differentiates an expression exactly', async () => {
    const response = await request(service.url)
      .post('/v1/evaluate')
      .send({ objective: { type: 'expression', expression: 'x^2 * y + sin(y)' }, x: [3, 0], hessian: true });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      f: 0,
      gradient: [0, 10],
      hessian: [
        [0, 6],
        [6, 0],
      ],
    });
  });

  it('omits the Hessian when asked to', async () => {
    const response = await request(service.url)
      .post('/v1/evaluate')
      .send({ objective: { type: 'builtin', name: 'rosenbrock' }, x: [1, 1], hessian: false });
    expect(response.body).toEqual({ f: 0, gradient: [0, 0] });
  });

  it('rejects bad input with 400 and field paths', async () => {
    const bad = await request(service.url)
      .post('/v1/evaluate')
      .send({ objective: { type: 'expression', expression: 'x +* y' }, x: [1, 2] });
    expect(expectProblem(bad, 400).errors?.[0].path).toBe('objective.expression');

    const wrongDim = await request(service.url)
      .post('/v1/evaluate')
      .send({ objective: { type: 'builtin', name: 'booth' }, x: [1, 2, 3] });
    expect(expectProblem(wrongDim, 400).errors?.[0].path).toMatch(/^(x|objective\.dim)$/);

    const missing = await request(service.url)
      .post('/v1/evaluate')
      .send({ objective: { type: 'builtin', name: 'sphere' } });
    expect(expectProblem(missing, 400).errors?.[0].path).toBe('x');

    const unknown = await request(service.url)
      .post('/v1/evaluate')
      .send({ objective: { type: 'builtin', name: 'sphere' }, x: [1], extra: 1 });
    expect(expectProblem(unknown, 400).errors?.[0].path).toBe('extra');

    const huge = await request(service.url)
      .post('/v1/evaluate')
      .send({ objective: { type: 'builtin', name: 'sphere' }, x: new Array(1001).fill(0), hessian: true });
    expect(expectProblem(huge, 400).errors?.[0].path).toBe('hessian');
  });
});

describe('Redis outages', () => {
  it('answers 503 problem+json while Redis is down and recovers by itself', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'descent-outage-'));
    const socketPath = path.join(dir, 'redis.sock');
    const args = ['--save', '', '--appendonly', 'no'];
    let server = await spawnRedisServer({ socketPath, dir, args });
    const config = loadConfig({
      REDIS_URL: server.url,
      REDIS_PREFIX: randomPrefix('outage'),
      RATE_LIMIT_MAX: '0',
    });
    const redis = createApiRedis(config);
    const app = await buildApp({ config, redis, logger: false, queueEvents: false });
    try {
      await waitFor(async () => (redis.status === 'ready' ? true : undefined));
      expect((await app.inject({ method: 'GET', url: '/v1/jobs' })).statusCode).toBe(200);

      await server.stop();
      const down = await waitFor(async () => {
        const response = await app.inject({ method: 'GET', url: '/v1/jobs' });
        return response.statusCode === 503 ? response : undefined;
      });
      expect(down.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(down.headers['retry-after']).toBeDefined();
      // Fails fast: a hang here would run into the test timeout instead of answering 503.
      const submit = await app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { objective: { type: 'builtin', name: 'sphere' }, optimizer: { name: 'sgd' } },
      });
      expect(submit.statusCode).toBe(503);
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

      server = await spawnRedisServer({ socketPath, dir, args });
      await waitFor(async () => {
        const response = await app.inject({ method: 'GET', url: '/v1/jobs' });
        return response.statusCode === 200 ? true : undefined;
      }, 15_000);
    } finally {
      await app.close();
      redis.disconnect();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
