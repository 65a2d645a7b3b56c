import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../api/service.ts';
import { finishedJob, launchBrowser, onPage, submitJob } from './browser.ts';

/**
 * NEEDS #12 (model objectives: points with valF/valAccuracy, Result.validation, early_stopped,
 * GET /v1/catalog/models, POST /v1/datasets): written against API.md's contract before those
 * landed on main; expected to fail until they do.
 */

let service: TestService;
let browser: Browser;

beforeAll(async () => {
  [service, browser] = await Promise.all([startTestService(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await service?.close();
});

describe('the dashboard with model objectives (#12)', () => {
  it("charts a model run's train and validation loss and accuracy, with its best validation point", async () => {
    const id = await submitJob(service, {
      objective: { type: 'model', model: 'softmax_regression', data: { builtin: 'iris' } },
      optimizer: { name: 'adam', lr: 0.05 },
      stop: { maxIterations: 400, gradTol: 0, patience: 30 },
      seed: 3,
    });
    const job = (await finishedJob(service, id)) as unknown as {
      result: { stopReason: string; validation: { bestIteration: number; accuracy: number } };
    };
    expect(job.result.validation.bestIteration).toBeGreaterThan(0);
    await onPage(browser, `${service.url}/?job=${id}`, async (page) => {
      await expect.poll(() => page.locator('.badge.stream').textContent()).toBe('finished');
      // No contour for a model; loss (train and validation), validation accuracy, ‖g‖ and lr charts.
      expect(await page.locator('.contour-slot .notice').textContent()).toContain('model');
      expect(await page.locator('.chart-f .chart-title').textContent()).toContain('validation');
      expect(await page.locator('.chart-valAccuracy canvas').count()).toBe(1);
      expect(await page.locator('.charts .chart').count()).toBe(4);
      expect(await page.locator('.job-details').textContent()).toContain(
        `best at iteration ${job.result.validation.bestIteration.toLocaleString('en-US')}`,
      );
    });
  });

  it('starts a model on a built-in dataset from the form (GET /v1/catalog/models)', async () => {
    await onPage(browser, `${service.url}/`, async (page) => {
      await page.selectOption('#objective-kind', 'model');
      await page.locator('#dataset option[value="iris"]').waitFor({ state: 'attached' });
      await page.selectOption('#model', 'softmax_regression');
      await page.selectOption('#dataset', 'iris');
      await page.check('#mode-single');
      await page.click('button[type="submit"]');
      await page.waitForURL(/\?job=/);
      const id = new URL(page.url()).searchParams.get('job')!;
      const sent = (await (await fetch(`${service.url}/v1/jobs/${id}`)).json()) as {
        spec: { objective: { type: string; model: string } };
      };
      expect(sent.spec.objective).toMatchObject({ type: 'model', model: 'softmax_regression' });
      await expect
        .poll(() => page.locator('.badge.stream').textContent(), { timeout: 30_000 })
        .toBe('finished');
    });
  });
});
