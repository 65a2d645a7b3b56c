import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemSchema } from '../../src/schemas/problem-document.ts';
import { startTestService, type TestService } from './service.ts';

let service: TestService;

beforeAll(async () => {
  service = await startTestService({ worker: false });
});

afterAll(async () => {
  await service?.close();
});

describe('a job whose f is not finite at the start', () => {
  it('is a 400 naming start.x0 (it was accepted and ended diverged at iteration 0 with f: null)', async () => {
    const response = await request(service.url)
      .post('/v1/jobs')
      .send({
        objective: { type: 'expression', expression: 'log(x) + y^2' },
        optimizer: { name: 'adam' },
        start: { x0: [-2, 1] },
      });
    expect(response.status).toBe(400);
    const problem = problemSchema.parse(response.body);
    expect(problem.errors).toEqual([
      {
        path: 'start.x0',
        message:
          'f is not finite at start.x0 (f(x₀) = NaN), so the run could not take a step: choose a start.x0 where f is defined',
      },
    ]);
  });

  it('POST /v1/evaluate still answers there, with f: null', async () => {
    const response = await request(service.url)
      .post('/v1/evaluate')
      .send({ objective: { type: 'expression', expression: 'log(x) + y^2' }, x: [-2, 1] });
    expect(response.status).toBe(200);
    expect(response.body.f).toBeNull();
    expect(response.body.gradient).toEqual([-0.5, 2]);
  });
});
