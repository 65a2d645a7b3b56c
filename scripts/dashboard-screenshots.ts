import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/e2e/browser.ts';
import { startServiceProcess, submitJob } from './service-process.ts';

/**
 * `node --import tsx scripts/dashboard-screenshots.ts`: the README's screenshots. Starts the
 * service, runs momentum, rmsprop and adam on Rosenbrock from one start and seed, and saves the
 * runs view at 1400×900 and at 390×844 (a phone), light and dark, plus the start form at
 * 1400×900, under docs/.
 */

const DOCS = path.resolve(import.meta.dirname, '../docs');
const RUNS = [
  { name: 'momentum', lr: 0.0005 },
  { name: 'rmsprop', lr: 0.01 },
  { name: 'adam', lr: 0.05 },
];

const service = await startServiceProcess();
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  mkdirSync(DOCS, { recursive: true });
  const ids = await Promise.all(
    RUNS.map((optimizer) =>
      submitJob(service.url, {
        objective: { type: 'builtin', name: 'rosenbrock' },
        optimizer,
        stop: { maxIterations: 1500, gradTol: 0 },
        seed: 11,
      }),
    ),
  );
  const shots: [string, string, number, number, 'light' | 'dark'][] = [
    ['dashboard-runs-1400-light.png', `/?jobs=${ids.join(',')}&smooth=0.3`, 1400, 900, 'light'],
    ['dashboard-runs-1400-dark.png', `/?jobs=${ids.join(',')}&smooth=0.3`, 1400, 900, 'dark'],
    ['dashboard-runs-390-light.png', `/?jobs=${ids.join(',')}`, 390, 844, 'light'],
    ['dashboard-runs-390-dark.png', `/?jobs=${ids.join(',')}`, 390, 844, 'dark'],
    ['dashboard-start-1400-light.png', '/', 1400, 900, 'light'],
  ];
  for (const [file, url, width, height, colorScheme] of shots) {
    const page = await browser.newPage({ viewport: { width, height }, colorScheme, deviceScaleFactor: 1 });
    await page.goto(`${service.url}${url}`);
    if (url === '/') await page.locator('.contour-overlay[hidden]').waitFor({ state: 'attached' });
    else
      await page.waitForFunction(() => document.querySelector('.badge.stream')?.textContent === 'finished');
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(DOCS, file) });
    process.stdout.write(`docs/${file}\n`);
    await page.close();
  }
} finally {
  await browser.close();
  await service.stop();
}
