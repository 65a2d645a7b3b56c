import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../api/service.ts';
import {
  finishedJob,
  legendColor,
  onPage,
  pathPixelsNear,
  submitJob,
  trajectoryOf,
  useDashboardEnvironment,
} from './browser.ts';

/**
 * The dashboard in a real Chromium against the real service (API, workers, the test Redis): jobs,
 * the grid form of /v1/evaluate, SSE, the jobs list and the key prompt. Comparisons are covered in
 * dashboard-comparisons.test.ts, model runs in dashboard-models.test.ts.
 */

const env = useDashboardEnvironment();

const ROSENBROCK = { type: 'builtin', name: 'rosenbrock' };
const RUNS = [
  { name: 'momentum', lr: 0.0005 },
  { name: 'rmsprop', lr: 0.01 },
  { name: 'adam', lr: 0.05 },
];

function spec(optimizer: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { objective: ROSENBROCK, optimizer, stop: { maxIterations: 400, gradTol: 0 }, seed: 11, ...extra };
}

/** The API.md ranking rule: diverged last, converged first, then lower f, then fewer iterations. */
function expectedOrder(
  jobs: {
    id: string;
    result: { stopReason: string; converged: boolean; f: number; iterations: number } | null;
  }[],
) {
  return [...jobs]
    .sort((a, b) => {
      const ra = a.result!;
      const rb = b.result!;
      return (
        Number(ra.stopReason === 'diverged') - Number(rb.stopReason === 'diverged') ||
        Number(rb.converged) - Number(ra.converged) ||
        ra.f - rb.f ||
        ra.iterations - rb.iterations
      );
    })
    .map((job) => job.id);
}

describe('the dashboard', () => {
  it('draws three runs on the Rosenbrock contour, each path in its colour at its recorded points, and ranks them', async () => {
    const ids = await Promise.all(RUNS.map((optimizer) => submitJob(env.service, spec(optimizer))));
    const jobs = await Promise.all(ids.map(async (id) => ({ id, ...(await finishedJob(env.service, id)) })));
    await onPage(env.browser, `${env.service.url}/?jobs=${ids.join(',')}`, async (page) => {
      await page.locator('.ranking tbody tr:not(.pending)').nth(2).waitFor();
      await page.locator('.contour-overlay[hidden]').waitFor({ state: 'attached' });
      await expect.poll(() => page.locator('.badge.stream').textContent()).toBe('finished');
      // Paths are drawn in run order, so a later run may cover an earlier one where they share
      // the valley: each recorded point must have its own colour nearby, or a later run's; and
      // every run must show its own colour at most of its points.
      const colors = await Promise.all(ids.map((id) => legendColor(page, id)));
      for (const [k, id] of ids.entries()) {
        const points = (await trajectoryOf(env.service, id)).filter(
          (_, n, all) => n % Math.ceil(all.length / 40) === 0,
        );
        const xs = points.map((point) => point.x);
        const own = (await pathPixelsNear(page, xs, colors[k])).filter((hit) => hit !== null);
        const later = await Promise.all(colors.slice(k + 1).map((color) => pathPixelsNear(page, xs, color)));
        const covered = own.map((hit, n) => hit || later.some((hits) => hits[n] === true));
        expect(own.length, `${id}: points inside the box`).toBeGreaterThan(10);
        const ownShare = own.filter(Boolean).length / own.length;
        const coveredShare = covered.filter(Boolean).length / covered.length;
        expect(
          ownShare,
          `${id}: share of points with a pixel of its own colour nearby`,
        ).toBeGreaterThanOrEqual(0.5);
        expect(
          coveredShare,
          `${id}: share of points on its path or under a later one`,
        ).toBeGreaterThanOrEqual(0.95);
      }
      // A point far from every path has no path pixel of any run's colour.
      for (const color of colors) expect(await pathPixelsNear(page, [[1.9, -0.9]], color)).toEqual([false]);
      const rows = await page
        .locator('.ranking tbody tr')
        .evaluateAll((elements) => elements.map((row) => row.getAttribute('data-job-id')));
      expect(rows).toEqual(expectedOrder(jobs));
    });
  });

  it('starts one job from the form and follows it live to its result', async () => {
    await onPage(env.browser, `${env.service.url}/`, async (page) => {
      await page.selectOption('#objective-kind', 'builtin:booth');
      await page.check('#mode-single');
      // The first optimizer card: adam with lr 0.1.
      const firstCard = page.locator('.optimizer-card').first();
      await firstCard.locator('select').selectOption('adam');
      await firstCard.locator('input[name="lr"]').fill('0.1');
      await page.locator('summary', { hasText: 'Schedule' }).click();
      await page.fill('#stop-maxIterations', '300');
      await page.click('button[type="submit"]');
      await page.waitForURL(/\?job=/);
      const id = new URL(page.url()).searchParams.get('job')!;
      const job = await finishedJob(env.service, id);
      expect(job.status).toBe('completed');
      await expect.poll(() => page.locator('.badge.stream').textContent()).toBe('finished');
      await expect
        .poll(() => page.locator('.job-details').textContent())
        .toContain(job.result!.stopReason.replaceAll('_', ' '));
      const sent = (await (await fetch(`${env.service.url}/v1/jobs/${id}`)).json()) as {
        spec: { optimizer: { name: string; lr: number }; stop: { maxIterations: number } };
      };
      expect(sent.spec.optimizer).toMatchObject({ name: 'adam', lr: 0.1 });
      expect(sent.spec.stop.maxIterations).toBe(300);
    });
  });

  it('shows an expression parse error with its position as you type (the 400 of POST /v1/evaluate)', async () => {
    await onPage(
      env.browser,
      `${env.service.url}/`,
      async (page) => {
        await page.selectOption('#objective-kind', 'expression');
        await page.fill('#expression', 'x^2 + (y - 1');
        const error = page.locator('.expression-error');
        await error.waitFor();
        const caret = await error.locator('pre.caret').textContent();
        // The caret sits under the place the server's message names.
        const [source, marker] = caret!.split('\n');
        expect(source).toBe('x^2 + (y - 1');
        const position = Number(/at (\d+)/.exec((await error.textContent()) ?? '')?.[1]);
        expect(position).toBeGreaterThanOrEqual(0);
        expect(marker.indexOf('^')).toBe(position);
        expect(source[position]).toBe('(');
        await page.fill('#expression', 'x^2 + (y - 1)^2');
        await page.locator('.expression-status .ok').waitFor();
        expect(await page.locator('.expression-status').textContent()).toContain('variables x, y');
        // The contour of the new expression is drawn (the grid form answered).
        await page.locator('.contour-overlay[hidden]').waitFor({ state: 'attached' });
      },
      (problems) => {
        expect(
          problems.every((problem) => /HTTP 400: POST .*\/v1\/evaluate|status of 400/.test(problem)),
        ).toBe(true);
      },
    );
  });

  it('opens /?job=<id> of a finished job: result, diagnostics, CSV, and settings kept in the URL', async () => {
    const id = await submitJob(env.service, spec({ name: 'adam', lr: 0.05 }, { label: 'e2e job page' }));
    const job = await finishedJob(env.service, id);
    await onPage(env.browser, `${env.service.url}/?job=${id}`, async (page) => {
      await expect.poll(() => page.locator('.badge.stream').textContent()).toBe('finished');
      const details = page.locator('.job-details');
      await expect.poll(() => details.textContent()).toContain('stationary point');
      expect(await page.locator('.view-title').textContent()).toBe('e2e job page');
      expect(await details.textContent()).toContain(`${job.result!.iterations}`);
      expect(await page.locator('.job-details .spec pre').textContent()).toContain('"name": "adam"');
      // f, ‖g‖ and lr charts.
      expect(await page.locator('.charts .chart canvas').count()).toBe(3);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Download CSV')]);
      const csv = await (await download.createReadStream()).toArray();
      const lines = Buffer.concat(csv).toString('utf8').trim().split('\n');
      expect(lines[0]).toBe('i,f,gradNorm,lr,x0,x1,t');
      expect(lines).toHaveLength(job.result!.iterations + 2);
      // Settings go into the URL, and a reload restores them.
      await page.selectOption('select[aria-label="x axis"]', 't');
      await page.locator('input[aria-label="Smoothing"]').fill('0.6');
      await page.locator('input[aria-label="Replay: iteration"]').fill('120');
      await expect.poll(() => new URL(page.url()).searchParams.get('smooth')).toBe('0.6');
      const url = new URL(page.url());
      expect(url.searchParams.get('x')).toBe('t');
      expect(url.searchParams.get('at')).toBe('120');
      await page.reload();
      await expect.poll(() => page.locator('.badge.stream').textContent()).toBe('finished');
      expect(await page.locator('select[aria-label="x axis"]').inputValue()).toBe('t');
      expect(await page.locator('input[aria-label="Smoothing"]').inputValue()).toBe('0.6');
      expect(await page.locator('.scrub-label').textContent()).toBe('120');
    });
  });

  it('draws the U-curve of jobs that differ only in lr, diverged runs as ✕', async () => {
    const values = [1e-4, 1e-3, 3e-3, 1e-2, 0.03, 0.1];
    const ids = await Promise.all(
      values.map((lr) =>
        submitJob(env.service, spec({ name: 'sgd', lr }, { stop: { maxIterations: 300, gradTol: 0 } })),
      ),
    );
    const jobs = await Promise.all(ids.map((id) => finishedJob(env.service, id)));
    const diverged = jobs.filter((job) => job.result?.stopReason === 'diverged').length;
    expect(diverged).toBeGreaterThan(0);
    expect(diverged).toBeLessThan(values.length);
    await onPage(env.browser, `${env.service.url}/?jobs=${ids.join(',')}`, async (page) => {
      const sweep = page.locator('section.sweep');
      await expect.poll(() => sweep.getAttribute('data-points')).toBe(String(values.length));
      expect(await sweep.getAttribute('data-diverged')).toBe(String(diverged));
      expect(await sweep.locator('canvas').count()).toBe(1);
    });
  });

  it('lists jobs filtered by label and opens the ticked ones together', async () => {
    const label = `e2e-list-${Date.now()}`;
    const ids = await Promise.all(
      [0, 1, 2].map((k) => submitJob(env.service, spec({ name: 'sgd', lr: 1e-4 * (k + 1) }, { label }))),
    );
    await submitJob(env.service, spec({ name: 'sgd', lr: 1e-4 }, { label: 'another label' }));
    await onPage(env.browser, `${env.service.url}/?view=jobs&label=${label}`, async (page) => {
      const rows = page.locator('table.list tbody tr');
      await rows.nth(2).waitFor();
      expect(await rows.count()).toBe(3);
      const listed = await rows.evaluateAll((elements) =>
        elements.map((row) => row.getAttribute('data-job-id')),
      );
      // Newest first.
      expect(new Set(listed)).toEqual(new Set(ids));
      await rows.nth(0).locator('input[type="checkbox"]').check();
      await rows.nth(1).locator('input[type="checkbox"]').check();
      await page.click('text=Show selected together');
      await page.waitForURL(/\?jobs=/);
      expect(new URL(page.url()).searchParams.get('jobs')!.split(',')).toEqual(listed.slice(0, 2));
      await page.locator('.legend li').nth(1).waitFor();
    });
  });
});

describe('the dashboard on a server with API_KEYS', () => {
  let secured: TestService;

  beforeAll(async () => {
    secured = await startTestService({ env: { API_KEYS: 'e2e-key-alice:alice' } });
  });

  afterAll(async () => {
    await secured?.close();
  });

  it('asks for a key, refuses a wrong one, keeps the right one and streams with it', async () => {
    const auth = { authorization: 'Bearer e2e-key-alice' };
    const id = await submitJob(secured, spec({ name: 'adam', lr: 0.05 }), auth);
    await finishedJob(secured, id, auth);
    await onPage(
      env.browser,
      `${secured.url}/?job=${id}`,
      async (page) => {
        const prompt = page.locator('form.key-prompt');
        await prompt.waitFor();
        await prompt.locator('input').fill('wrong-key');
        await prompt.locator('button').click();
        await expect.poll(() => prompt.locator('.form-message').textContent()).toBe('This key is not valid.');
        await prompt.locator('input').fill('e2e-key-alice');
        await prompt.locator('button').click();
        // The job view opens and its stream (fetch with the bearer key) delivers every point.
        await expect.poll(() => page.locator('.badge.stream').textContent()).toBe('finished');
        await page.locator('.job-details').waitFor();
        expect(await page.evaluate(() => localStorage.getItem('descent.apiKey'))).toBe('e2e-key-alice');
        // A reload uses the stored key: no prompt.
        await page.reload();
        await expect.poll(() => page.locator('.badge.stream').textContent()).toBe('finished');
        expect(await page.locator('form.key-prompt').count()).toBe(0);
        // Only the refusals of the missing and the wrong key appeared.
      },
      (problems) => {
        expect(problems.every((problem) => /401/.test(problem))).toBe(true);
      },
    );
  });
});
