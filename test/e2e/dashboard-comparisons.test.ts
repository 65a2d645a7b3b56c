import { describe, expect, it } from 'vitest';
import { FINISHED, waitFor } from '../api/service.ts';
import { legendColor, onPage, pathPixelsNear, trajectoryOf, useDashboardEnvironment } from './browser.ts';

/**
 * The dashboard's comparisons in a real Chromium against the real service: it starts a
 * comparison and an lr sweep from its form, follows the comparison's multiplexed stream, and
 * shows the ranking in the API's order and the sweep's U-curve.
 */

interface ComparisonResource {
  id: string;
  status: string;
  jobs: { id: string }[];
  ranking: { jobId: string; stopReason: string }[];
}

const env = useDashboardEnvironment();

async function finishedComparison(id: string): Promise<ComparisonResource> {
  return waitFor(async () => {
    const comparison = (await (
      await fetch(`${env.service.url}/v1/comparisons/${id}`)
    ).json()) as ComparisonResource;
    return FINISHED.has(comparison.status) ? comparison : undefined;
  }, 60_000);
}

describe('the dashboard with comparisons (#13)', () => {
  it('starts a comparison of momentum, rmsprop and adam on Rosenbrock; paths at the recorded points, ranking in the API order', async () => {
    await onPage(env.browser, `${env.service.url}/`, async (page) => {
      await page.selectOption('#objective-kind', 'builtin:rosenbrock');
      await page.check('#mode-compare');
      const cards = page.locator('.optimizer-card');
      expect(await cards.count()).toBe(3);
      for (const [k, [name, lr]] of [
        ['momentum', '0.0005'],
        ['rmsprop', '0.01'],
        ['adam', '0.05'],
      ].entries()) {
        await cards.nth(k).locator('select').selectOption(name);
        await cards.nth(k).locator('input[name="lr"]').fill(lr);
      }
      await page.locator('summary', { hasText: 'Schedule' }).click();
      await page.fill('#stop-maxIterations', '400');
      await page.click('button[type="submit"]');
      await page.waitForURL(/\?comparison=/);
      const id = new URL(page.url()).searchParams.get('comparison')!;
      const comparison = await finishedComparison(id);
      await page.locator('.ranking tbody tr:not(.pending)').nth(2).waitFor();
      await expect.poll(() => page.locator('.badge.stream').textContent()).toBe('completed');
      const rows = await page
        .locator('.ranking tbody tr')
        .evaluateAll((elements) => elements.map((row) => row.getAttribute('data-job-id')));
      expect(rows).toEqual(comparison.ranking.map((row) => row.jobId));
      await page.locator('.contour-overlay[hidden]').waitFor({ state: 'attached' });
      const ids = comparison.jobs.map((job) => job.id);
      const colors = await Promise.all(ids.map((jobId) => legendColor(page, jobId)));
      for (const [k, jobId] of ids.entries()) {
        const points = (await trajectoryOf(env.service, jobId)).filter(
          (_, n, all) => n % Math.ceil(all.length / 40) === 0,
        );
        const xs = points.map((point) => point.x);
        const own = (await pathPixelsNear(page, xs, colors[k])).filter((hit) => hit !== null);
        const later = await Promise.all(colors.slice(k + 1).map((color) => pathPixelsNear(page, xs, color)));
        const covered = own.map((hit, n) => hit || later.some((hits) => hits[n] === true));
        expect(own.filter(Boolean).length / own.length).toBeGreaterThanOrEqual(0.5);
        expect(covered.filter(Boolean).length / covered.length).toBeGreaterThanOrEqual(0.95);
      }
    });
  });

  it('starts an lr sweep from the form and draws its U-curve, diverged runs as ✕', async () => {
    await onPage(env.browser, `${env.service.url}/`, async (page) => {
      await page.selectOption('#objective-kind', 'builtin:rosenbrock');
      await page.locator('.optimizer-card').first().locator('select').selectOption('sgd');
      await page.check('#mode-sweep');
      await page.fill('#sweep-from', '1e-5');
      await page.fill('#sweep-to', '0.1');
      await page.fill('#sweep-count', '7');
      await page.locator('summary', { hasText: 'Schedule' }).click();
      await page.fill('#stop-maxIterations', '300');
      await page.click('button[type="submit"]');
      await page.waitForURL(/\?comparison=/);
      const id = new URL(page.url()).searchParams.get('comparison')!;
      const comparison = await finishedComparison(id);
      const diverged = comparison.ranking.filter((row) => row.stopReason === 'diverged').length;
      expect(diverged).toBeGreaterThan(0);
      const sweep = page.locator('section.sweep');
      await expect.poll(() => sweep.getAttribute('data-points')).toBe('7');
      expect(await sweep.getAttribute('data-diverged')).toBe(String(diverged));
    });
  });
});
