import { describe, expect, it } from 'vitest';
import { finishedJob, onPage, submitJob, useDashboardEnvironment } from './browser.ts';

/**
 * The dashboard's model views in a real Chromium against the real service: a model run's train
 * and validation curves with its best validation point, and a model started from the form on a
 * built-in data set (GET /v1/catalog/models).
 */

const env = useDashboardEnvironment();

describe('the dashboard with model objectives (#12)', () => {
  it("charts a model run's train and validation loss and accuracy, with its best validation point", async () => {
    const id = await submitJob(env.service, {
      objective: { type: 'model', model: 'softmax_regression', data: { builtin: 'iris' } },
      optimizer: { name: 'adam', lr: 0.05 },
      stop: { maxIterations: 400, gradTol: 0, patience: 30 },
      seed: 3,
    });
    const job = (await finishedJob(env.service, id)) as unknown as {
      result: { stopReason: string; validation: { bestIteration: number; accuracy: number } };
    };
    expect(job.result.validation.bestIteration).toBeGreaterThan(0);
    await onPage(env.browser, `${env.service.url}/?job=${id}`, async (page) => {
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
    await onPage(env.browser, `${env.service.url}/`, async (page) => {
      await page.selectOption('#objective-kind', 'model');
      await page.locator('#dataset option[value="iris"]').waitFor({ state: 'attached' });
      await page.selectOption('#model', 'softmax_regression');
      await page.selectOption('#dataset', 'iris');
      await page.check('#mode-single');
      await page.click('button[type="submit"]');
      await page.waitForURL(/\?job=/);
      const id = new URL(page.url()).searchParams.get('job')!;
      const sent = (await (await fetch(`${env.service.url}/v1/jobs/${id}`)).json()) as {
        spec: { objective: { type: string; model: string } };
      };
      expect(sent.spec.objective).toMatchObject({ type: 'model', model: 'softmax_regression' });
      await expect
        .poll(() => page.locator('.badge.stream').textContent(), { timeout: 30_000 })
        .toBe('finished');
    });
  });
});
