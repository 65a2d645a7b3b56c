import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDashboardBuild, sourceHash } from '../../src/api/dashboard/build.ts';
import { startTestService, type TestService } from './service.ts';

/** GET / and /assets/*: the dashboard's build served with its cache headers; the build's staleness check. */

let service: TestService;

beforeAll(async () => {
  service = await startTestService({ worker: false });
});

afterAll(async () => {
  await service?.close();
});

describe('the dashboard build, served', () => {
  it('serves index.html at / with no-cache, for any query string', async () => {
    for (const url of ['/', '/?job=abc&x=t', '/?comparison=xyz']) {
      const response = await fetch(`${service.url}${url}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      const html = await response.text();
      expect(html).toMatch(/<script type="module" src="\/assets\/main-[A-Z0-9]+\.js"><\/script>/);
      expect(html).toMatch(/<link rel="stylesheet" href="\/assets\/main-[A-Z0-9]+\.css">/);
    }
  });

  it('serves the content-hashed assets as immutable for a year', async () => {
    const html = await (await fetch(`${service.url}/`)).text();
    const assets = [...html.matchAll(/\/assets\/main-[A-Z0-9]+\.(js|css)/g)].map((match) => match[0]);
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const response = await fetch(`${service.url}${asset}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('content-type')).toMatch(
        asset.endsWith('.js') ? /javascript/ : /text\/css/,
      );
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
    const missing = await fetch(`${service.url}/assets/main-NOPE.js`);
    expect(missing.status).toBe(404);
  });

  it('lists every asset with its raw and gzip size in the manifest', () => {
    const manifest = service.app.dashboard!.manifest;
    expect(manifest.assets.map((asset) => asset.name)).toContain(manifest.script);
    for (const asset of manifest.assets) expect(asset.gzipBytes).toBeLessThan(asset.bytes);
  });

  it('finds an up-to-date build instead of building again', async () => {
    const again = await ensureDashboardBuild();
    expect(again.built).toBe(false);
    expect(again.dir).toBe(service.app.dashboard!.dir);
    expect(again.manifest).toEqual(service.app.dashboard!.manifest);
  });
});

describe('the build hash', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'descent-web-'));
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await mkdir(path.join(dir, 'dist'), { recursive: true });
    await writeFile(path.join(dir, 'src/main.ts'), 'export const a = 1;\n');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('changes with a source file and not with the build output', async () => {
    const first = await sourceHash(dir, path.join(dir, 'dist'));
    await writeFile(path.join(dir, 'dist/anything.js'), 'built');
    expect(await sourceHash(dir, path.join(dir, 'dist'))).toBe(first);
    await writeFile(path.join(dir, 'src/main.ts'), 'export const a = 2;\n');
    const second = await sourceHash(dir, path.join(dir, 'dist'));
    expect(second).not.toBe(first);
    expect(second).toMatch(/^[0-9a-f]{16}$/);
  });
});
