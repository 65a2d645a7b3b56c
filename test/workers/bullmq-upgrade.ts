import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * `npm run test:bullmq [-- <version>] [--force] [--keep]`: the worker tests (test/workers) against
 * another bullmq than the pinned one — by default the newest 6.x on the registry — so that an
 * upgrade that breaks the worker shows before it is pinned. The worker uses only BullMQ's public
 * API (workers/processor.ts); this checks that claim against real releases.
 *
 * How: the version is installed into a temp dir (`npm install`, the registry only), and the
 * repository's sources, tests and configs are copied beside a node_modules of links to this
 * checkout's packages, bullmq's link pointing at the installed version instead. The copies
 * resolve `bullmq` there: vitest, the worker processes the tests spawn and their threads alike.
 * With no version given and the newest 6.x equal to the pinned one, there is nothing to compare
 * and it exits 0 at once (`--force` runs anyway). `--keep` leaves the temp dir.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const COPIED = ['src', 'workers', 'test', 'package.json', 'tsconfig.json', 'vitest.config.ts'];

const PROBE = `import { expect, it } from 'vitest';
import bullmq from 'bullmq/package.json';

it('imports the bullmq under test', () => {
  expect(bullmq.version).toBe(process.env.DESCENT_BULLMQ_VERSION);
});
`;

function npm(args: string[], cwd = ROOT): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** The newest x.y.z (no pre-release) of `major` among the registry's versions of bullmq. */
function newestOf(major: number): string {
  const versions = JSON.parse(npm(['view', 'bullmq', 'versions', '--json'])) as string[];
  const numbers = (version: string) => version.split('.').map(Number);
  const candidates = versions.filter((version) => new RegExp(`^${major}\\.\\d+\\.\\d+$`).test(version));
  candidates.sort((a, b) => {
    const [x, y] = [numbers(a), numbers(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  const newest = candidates.at(-1);
  if (newest === undefined) throw new Error(`no bullmq ${major}.x on the registry`);
  return newest;
}

function main(argv: string[]): number {
  const pinned = (
    JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    }
  ).dependencies.bullmq;
  const asked = argv.find((arg) => !arg.startsWith('-'));
  const version = asked ?? newestOf(Number(pinned.split('.')[0]));
  if (asked === undefined && version === pinned && !argv.includes('--force')) {
    process.stdout.write(
      `bullmq: the newest ${version.split('.')[0]}.x is ${version}, the pinned one: npm test covers it\n`,
    );
    return 0;
  }

  const dir = mkdtempSync(path.join(tmpdir(), `descent-bullmq-${version}-`));
  try {
    process.stdout.write(`bullmq ${version} (pinned ${pinned}): installing into ${dir}\n`);
    const installed = path.join(dir, 'bullmq');
    mkdirSync(installed);
    npm(
      ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `bullmq@${version}`],
      installed,
    );

    const project = path.join(dir, 'project');
    for (const entry of COPIED)
      cpSync(path.join(ROOT, entry), path.join(project, entry), { recursive: true });
    const modules = path.join(project, 'node_modules');
    mkdirSync(modules);
    for (const entry of readdirSync(path.join(ROOT, 'node_modules'))) {
      const target =
        entry === 'bullmq'
          ? path.join(installed, 'node_modules', 'bullmq')
          : path.join(ROOT, 'node_modules', entry);
      symlinkSync(target, path.join(modules, entry));
    }
    const resolved = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "process.stdout.write(import.meta.resolve('bullmq'))"],
      { cwd: project, encoding: 'utf8' },
    );
    const resolvedVersion = (
      JSON.parse(readFileSync(path.join(installed, 'node_modules', 'bullmq', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    process.stdout.write(`bullmq resolves to ${resolved} (${resolvedVersion})\n`);
    if (!resolved.includes(installed)) throw new Error('bullmq does not resolve to the installed version');

    // A probe in the copy only: the tests themselves (vite's resolution) import that version.
    writeFileSync(path.join(project, 'test', 'workers', 'bullmq-version.probe.test.ts'), PROBE);
    const run = spawnSync(
      process.execPath,
      [path.join(modules, 'vitest', 'vitest.mjs'), 'run', 'test/workers'],
      { cwd: project, stdio: 'inherit', env: { ...process.env, DESCENT_BULLMQ_VERSION: resolvedVersion } },
    );
    process.stdout.write(
      `bullmq ${resolvedVersion}: test/workers ${run.status === 0 ? 'passed' : 'FAILED'}\n`,
    );
    return run.status ?? 1;
  } finally {
    if (argv.includes('--keep')) process.stdout.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = main(process.argv.slice(2));
