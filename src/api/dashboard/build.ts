import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * The dashboard's build: web/src bundled by esbuild into a folder named by a hash of its inputs,
 * with content-hashed asset names, so the API serves them as immutable.
 *
 * Built when missing or stale, at API start (`npm start` on a fresh clone) or in the Docker
 * image's build stage (`npm run build:web`), never at install (a `prepare` script would also run
 * under `npm ci --omit=dev`) and never committed (web/dist is ignored). Stale means: no build
 * folder for the current {@link sourceHash} (every file under web/ but web/dist, src/core, the
 * lock file and this file). The page imports only web/, src/core and npm packages at run time
 * (its imports from src/schemas are `import type`, erased by esbuild; a lint rule keeps it so),
 * so those inputs determine the bundle.
 *
 * Concurrent starts (test workers, several API processes) each build into a private temporary
 * folder and rename it into place: the first rename wins, the others discard their copy.
 */

export interface DashboardAsset {
  /** The file name under assets/, with its content hash. */
  name: string;
  bytes: number;
  gzipBytes: number;
}

export interface DashboardManifest {
  sourceHash: string;
  /** The entry's script and style under /assets/. */
  script: string;
  style: string;
  assets: DashboardAsset[];
}

export interface DashboardBuild {
  /** The build folder: index.html, manifest.json and assets/. */
  dir: string;
  indexHtml: string;
  manifest: DashboardManifest;
  /** Whether this call built it (false: an up-to-date build was found). */
  built: boolean;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const WEB_DIR = path.join(REPO_ROOT, 'web');
export const DEFAULT_OUT_DIR = path.join(WEB_DIR, 'dist');

async function listFiles(dir: string, skip: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !file.startsWith(skip + path.sep))
    .sort();
}

/** sha256 over the inputs' relative paths and contents; 16 hex digits name the build folder. */
export async function sourceHash(webDir = WEB_DIR, outDir = DEFAULT_OUT_DIR): Promise<string> {
  const hash = createHash('sha256');
  const files = [
    ...(await listFiles(webDir, outDir)),
    // The page parses expressions with the core's parser (the core runs in browsers too).
    ...(await listFiles(path.join(REPO_ROOT, 'src/core'), outDir)),
    path.join(REPO_ROOT, 'package-lock.json'),
    fileURLToPath(import.meta.url),
  ];
  for (const file of files) {
    hash.update(path.relative(REPO_ROOT, file)).update('\0');
    hash.update(await readFile(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

async function readBuild(dir: string): Promise<Omit<DashboardBuild, 'built'> | null> {
  try {
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as DashboardManifest;
    const indexHtml = await readFile(path.join(dir, 'index.html'), 'utf8');
    return { dir, indexHtml, manifest };
  } catch {
    return null;
  }
}

/** Bundles web/src/main.ts into `dir` (assets/, index.html from web/index.html, manifest.json). */
async function bundle(dir: string, webDir: string, hash: string): Promise<DashboardManifest> {
  // Loaded on demand: an up-to-date build needs no esbuild.
  const esbuild = await import('esbuild');
  const assetsDir = path.join(dir, 'assets');
  const result = await esbuild.build({
    entryPoints: [path.join(webDir, 'src/main.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022', 'chrome105', 'firefox110', 'safari16'],
    outdir: assetsDir,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    sourcemap: 'linked',
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    tsconfig: path.join(webDir, 'tsconfig.json'),
  });
  const outputs = Object.keys(result.metafile.outputs).map((output) => path.basename(output));
  const script = outputs.find((name) => name.endsWith('.js'));
  const style = outputs.find((name) => name.endsWith('.css'));
  if (script === undefined || style === undefined)
    throw new Error('the dashboard build made no script or style');
  const assets: DashboardAsset[] = [];
  for (const name of outputs.sort()) {
    const content = await readFile(path.join(assetsDir, name));
    assets.push({ name, bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length });
  }
  const template = await readFile(path.join(webDir, 'index.html'), 'utf8');
  const indexHtml = template.replace('%STYLE%', `/assets/${style}`).replace('%SCRIPT%', `/assets/${script}`);
  await writeFile(path.join(dir, 'index.html'), indexHtml);
  const manifest: DashboardManifest = { sourceHash: hash, script, style, assets };
  await writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Builds kept besides the current one: an API still running older sources keeps its assets. */
const KEEP_OLDER_BUILDS = 2;

/** Removes all but the newest KEEP_OLDER_BUILDS builds of other sources (by modification time). */
async function pruneOldBuilds(outDir: string, current: string): Promise<void> {
  const others = (await readdir(outDir)).filter((entry) => entry !== current && /^[0-9a-f]{16}$/.test(entry));
  const dated = await Promise.all(
    others.map(async (entry) => ({ entry, mtime: (await stat(path.join(outDir, entry))).mtimeMs })),
  );
  dated.sort((a, b) => b.mtime - a.mtime);
  for (const { entry } of dated.slice(KEEP_OLDER_BUILDS)) {
    await rm(path.join(outDir, entry), { recursive: true, force: true }).catch(() => {});
  }
}

async function buildInto(outDir: string, webDir: string, hash: string): Promise<DashboardBuild> {
  const dir = path.join(outDir, hash);
  const existing = await readBuild(dir);
  if (existing !== null) return { ...existing, built: false };
  await mkdir(outDir, { recursive: true });
  const temporary = path.join(outDir, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await bundle(temporary, webDir, hash);
    try {
      await rename(temporary, dir);
    } catch (error) {
      // Another process renamed its build into place first: keep that one.
      if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  await pruneOldBuilds(outDir, hash);
  const fresh = await readBuild(dir);
  if (fresh === null) throw new Error(`the dashboard build in ${dir} is incomplete`);
  return { ...fresh, built: true };
}

export interface EnsureBuildOptions {
  webDir?: string;
  outDir?: string;
}

/**
 * The current build, made first when missing or stale. When `outDir` cannot be written (a
 * read-only install whose build is stale), it builds under the system's temporary folder.
 */
export async function ensureDashboardBuild(options: EnsureBuildOptions = {}): Promise<DashboardBuild> {
  const webDir = options.webDir ?? WEB_DIR;
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  const hash = await sourceHash(webDir, outDir);
  try {
    return await buildInto(outDir, webDir, hash);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw error;
    return buildInto(path.join(os.tmpdir(), 'descent-dashboard'), webDir, hash);
  }
}

/** Whether the dashboard's sources are present (an image without web/ serves no dashboard). */
export async function dashboardSourcesPresent(webDir = WEB_DIR): Promise<boolean> {
  return stat(path.join(webDir, 'src/main.ts')).then(
    () => true,
    () => false,
  );
}
