import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobSchema } from '../../src/schemas/job.ts';
import { startTestService, type TestService } from './service.ts';

/**
 * The Job resource while a job runs, with no worker: the test moves the job to running through
 * the store's own begin script, so what the API shows between the start of a run and its first
 * progress report is pinned down.
 */

let service: TestService;

beforeAll(async () => {
  service = await startTestService({ worker: false });
});

afterAll(async () => {
  await service?.close();
});

const spec = {
  objective: { type: 'builtin', name: 'booth' },
  optimizer: { name: 'adam', lr: 0.01 },
  stop: { maxIterations: 500 },
  seed: 1,
};

async function runningJob(): Promise<string> {
  const submitted = await request(service.url).post('/v1/jobs').send(spec);
  expect(submitted.status).toBe(202);
  expect(submitted.body.cancelRequested).toBe(false);
  expect(submitted.body.progress).toBeNull();
  const id = submitted.body.id as string;
  expect(await service.app.jobRuns.begin(id)).not.toBeNull();
  return id;
}

describe('the Job resource of a running job', () => {
  it('shows progress from the moment it runs: iteration 0 of maxIterations, f and gradNorm not yet known', async () => {
    const id = await runningJob();
    const response = await request(service.url).get(`/v1/jobs/${id}`);
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('running');
    expect(response.body.progress).toEqual({ iteration: 0, maxIterations: 500, f: null, gradNorm: null });
    expect(jobSchema.safeParse(response.body).success).toBe(true);
  });

  it('answers a cancel of a running job with cancelRequested: true while the worker stops it', async () => {
    const id = await runningJob();
    const cancel = await request(service.url).post(`/v1/jobs/${id}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('running');
    expect(cancel.body.cancelRequested).toBe(true);
    const polled = await request(service.url).get(`/v1/jobs/${id}`);
    expect(polled.body.cancelRequested).toBe(true);
    expect(jobSchema.parse(polled.body).cancelRequested).toBe(true);
  });

  it('documents cancelRequested as a required boolean of Job in the OpenAPI document', async () => {
    const document = (await request(service.url).get('/openapi.json')).body;
    const job = document.components.schemas.Job;
    expect(job.properties.cancelRequested.type).toBe('boolean');
    expect(job.required).toContain('cancelRequested');
  });
});
