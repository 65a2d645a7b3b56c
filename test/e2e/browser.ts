import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { FINISHED, startTestService, type TestService, waitFor } from '../api/service.ts';

/**
 * The real browser of the end-to-end tests: Debian's Chromium (`.ci/run` installs it with
 * fonts-liberation when missing), driven by playwright-core. Each page records what a user
 * would see go wrong: console errors, page errors, failed requests and HTTP error answers.
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** What a file of dashboard tests runs against: the real service and a Chromium. */
export interface DashboardEnvironment {
  service: TestService;
  browser: Browser;
}

/** The file's service and browser, started before its tests (beforeAll) and closed after them (afterAll). */
export function useDashboardEnvironment(): DashboardEnvironment {
  const environment = {} as DashboardEnvironment;
  beforeAll(async () => {
    [environment.service, environment.browser] = await Promise.all([startTestService(), launchBrowser()]);
  });
  afterAll(async () => {
    await environment.browser?.close();
    await environment.service?.close();
  });
  return environment;
}

interface WatchedPage {
  page: Page;
  /** Console errors, uncaught page errors, failed requests and 4xx/5xx answers, in order. */
  problems: string[];
  close(): Promise<void>;
}

/** `url` in a fresh light-mode context at 1400×900, with what the page reports collected. */
async function openPage(browser: Browser, url: string): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    colorScheme: 'light',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    // A stream the page closes itself (leaving a view) is aborted, not failed.
    if (request.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400)
      problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  await page.goto(url);
  return { page, problems, close: () => context.close() };
}

/**
 * Opens `url` in a fresh context, runs `use` on the page, then checks what the page reported
 * (console errors, page errors, failed requests, HTTP errors): none, unless `expectProblems`
 * checks them otherwise. The context is closed in every case.
 */
export async function onPage(
  browser: Browser,
  url: string,
  use: (page: Page) => Promise<void>,
  expectProblems: (problems: string[]) => void = (problems) => expect(problems).toEqual([]),
): Promise<void> {
  const view = await openPage(browser, url);
  try {
    await use(view.page);
    expectProblems(view.problems);
  } finally {
    await view.close();
  }
}

export interface SubmittedJob {
  id: string;
}

/** POST /v1/jobs over HTTP; the job's id. */
export async function submitJob(
  service: TestService,
  spec: unknown,
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await fetch(`${service.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(spec),
  });
  if (response.status !== 202) throw new Error(`submit: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

/** Waits for a job to finish; its resource. */
export async function finishedJob(service: TestService, id: string, headers: Record<string, string> = {}) {
  return waitFor(async () => {
    const job = (await (await fetch(`${service.url}/v1/jobs/${id}`, { headers })).json()) as {
      status: string;
      result: {
        stopReason: string;
        f: number;
        iterations: number;
        converged: boolean;
        wallMs: number;
      } | null;
    };
    return FINISHED.has(job.status) ? job : undefined;
  }, 60_000);
}

/** Every recorded point of a job (x included). */
export async function trajectoryOf(
  service: TestService,
  id: string,
): Promise<{ i: number; f: number; x: number[] }[]> {
  const response = await fetch(`${service.url}/v1/jobs/${id}/trajectory?limit=10000`);
  return ((await response.json()) as { points: { i: number; f: number; x: number[] }[] }).points;
}

/**
 * For each point, whether the contour's paths canvas has a pixel of `color` within `radius`
 * device pixels of it (read back with getImageData; the canvas's data-transform maps x to pixels).
 * Points outside the canvas count as null.
 */
export async function pathPixelsNear(
  page: Page,
  points: number[][],
  color: [number, number, number],
  radius = 3,
): Promise<(boolean | null)[]> {
  return page.evaluate(
    ({ points, color, radius }) => {
      const canvas = document.querySelector<HTMLCanvasElement>('canvas.contour-paths');
      if (!canvas?.dataset.transform) throw new Error('no contour paths canvas');
      const t = JSON.parse(canvas.dataset.transform) as { x0: number; y1: number; sx: number; sy: number };
      const context = canvas.getContext('2d')!;
      return points.map(([x, y]) => {
        const px = Math.round((x - t.x0) * t.sx);
        const py = Math.round((t.y1 - y) * t.sy);
        if (px < 0 || py < 0 || px >= canvas.width || py >= canvas.height) return null;
        const size = 2 * radius + 1;
        const data = context.getImageData(px - radius, py - radius, size, size).data;
        for (let k = 0; k < data.length; k += 4) {
          if (data[k + 3] < 128) continue;
          const distance =
            Math.abs(data[k] - color[0]) +
            Math.abs(data[k + 1] - color[1]) +
            Math.abs(data[k + 2] - color[2]);
          if (distance < 60) return true;
        }
        return false;
      });
    },
    { points, color, radius },
  );
}

/** A run's colour as the page shows it (its legend swatch), as RGB. */
export async function legendColor(page: Page, jobId: string): Promise<[number, number, number]> {
  const background = await page
    .locator(`.legend li[data-job-id="${jobId}"] .swatch`)
    .evaluate((element) => getComputedStyle(element).backgroundColor);
  const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number);
  return [r, g, b];
}
