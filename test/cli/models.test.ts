import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../api/service.ts';
import { runModel } from '../core/models/run-helpers.ts';
import { runCommand } from '../helpers/cli-process.ts';
import { withoutTime } from '../helpers/specs.ts';

/** `descent run` and `descent submit` with model objectives, as child processes. */

const bin = join(import.meta.dirname, '../../bin/descent.js');

function descent(args: string[], input?: string) {
  return runCommand(process.execPath, [bin, ...args], {}, input ?? '');
}

const inlineSpec = {
  objective: {
    type: 'model',
    model: 'logistic_regression',
    data: {
      inline: {
        X: [[0.1], [0.4], [0.35], [0.8], [0.9], [1.2], [0.05], [1.1], [0.6], [0.3]],
        y: ['no', 'no', 'no', 'yes', 'yes', 'yes', 'no', 'yes', 'yes', 'no'],
      },
    },
    l2: 0.1,
  },
  optimizer: { name: 'newton' },
  seed: 3,
};

describe('descent run with model objectives', () => {
  it('trains on built-in data exactly as the workers do', async () => {
    const input = {
      objective: {
        type: 'model',
        model: 'softmax_regression',
        data: { builtin: 'blobs', samples: 150 },
        batchSize: 32,
      },
      optimizer: { name: 'momentum', lr: 0.05 },
      stop: { maxIterations: 60 },
      seed: 9,
    };
    const { status, stdout, stderr } = await descent(['run', '-'], JSON.stringify(input));
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const output = JSON.parse(stdout);
    const expected = runModel(input);
    expect(output.spec).toEqual(expected.spec);
    expect(output.spec.objective.data).toEqual({
      builtin: 'blobs',
      samples: 150,
      noise: 1,
      classes: 3,
      features: 2,
    });
    expect(withoutTime(output.trajectory)).toEqual(withoutTime(expected.trajectory));
    expect(output.result.validation).toEqual(expected.result.validation);
  });

  it('trains on inline rows with text labels (kept inline in the printed spec: no server stores them)', async () => {
    const { status, stdout, stderr } = await descent(['run', '-'], JSON.stringify(inlineSpec));
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const output = JSON.parse(stdout);
    expect(output.spec.objective.data).toEqual(inlineSpec.objective.data);
    expect(output.result.stopReason).toBe('grad_tol');
    expect(output.result.x).toEqual(runModel(inlineSpec).result.x);
  });

  it('refuses a datasetId with exit 2, saying that it needs a server and what to do instead', async () => {
    const spec = {
      objective: { type: 'model', model: 'mlp', data: { datasetId: 'x1' } },
      optimizer: { name: 'adam' },
    };
    const { status, stdout, stderr } = await descent(['run', '-'], JSON.stringify(spec));
    expect(status).toBe(2);
    expect(stdout).toBe('');
    const problem = JSON.parse(stderr);
    expect(problem.errors[0].path).toBe('objective.data.datasetId');
    expect(problem.errors[0].message).toMatch(/descent submit/);
  });
});

describe('descent submit with model objectives', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service?.close();
  });

  it('sends inline rows; the server stores them, trains, and --watch prints points with valF and the final job', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'descent-models-')), 'spec.json');
    writeFileSync(file, JSON.stringify(inlineSpec));
    const { status, stdout, stderr } = await descent(['submit', file, '--watch', '--url', service.url]);
    expect(status, stderr).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const final = lines.at(-1);
    const points = lines.slice(0, -1);
    expect(final.status).toBe('completed');
    expect(final.spec.objective.data).toEqual({ datasetId: expect.any(String) });
    expect(final.result.x).toEqual(runModel(inlineSpec).result.x);
    expect(points.length).toBeGreaterThan(1);
    for (const point of points) expect(typeof point.valF).toBe('number');
  });
});
