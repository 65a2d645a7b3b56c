import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BenchRow, describeRow } from './stats.ts';

/**
 * `npm run bench [-- group…]`: runs every bench group — each `bench/<group>.ts` module's exported
 * `bench…()` functions (benchCore in core.ts, benchExpression in expression.ts, benchService in
 * service.ts, …) — and prints one summary table. `npm run bench -- core service` runs only those
 * groups. A bench function returns a row or an array of rows `{name, ratio, goal, pass?, details?}`:
 * `ratio` is a speed ratio against a reference measured in the same run, `goal` reads `>= x` or
 * `<= x`, or `none` for a row that only informs. Each row's details (the raw figures behind the
 * ratio) print as it finishes. Exit code 1 when a group throws or no group matches; a missed goal
 * shows as FAIL.
 */

type BenchFunction = () => Promise<BenchRow | BenchRow[]> | BenchRow | BenchRow[];

interface SummaryRow {
  group: string;
  name: string;
  ratio: number | null;
  goal: string;
  verdict: 'pass' | 'FAIL' | 'ERROR' | 'info';
}

const BENCH_DIR = import.meta.dirname;

/** Whether `ratio` meets a goal written as `>= x`, `> x`, `<= x` or `< x`; null when unreadable. */
export function meetsGoal(ratio: number, goal: string): boolean | null {
  const match = /^\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*[×x]?\s*$/.exec(goal);
  if (!match || !Number.isFinite(ratio)) return null;
  const bound = Number(match[2]);
  switch (match[1]) {
    case '>=':
      return ratio >= bound;
    case '>':
      return ratio > bound;
    case '<=':
      return ratio <= bound;
    default:
      return ratio < bound;
  }
}

function groups(): string[] {
  return readdirSync(BENCH_DIR)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && file !== 'run.ts')
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
}

function formatRatio(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '-';
  return Math.abs(ratio) >= 100 ? ratio.toFixed(0) : ratio.toPrecision(3);
}

function printTable(rows: SummaryRow[]): void {
  const header = ['group', 'bench', 'ratio', 'goal', 'result'];
  const cells = rows.map((row) => [row.group, row.name, formatRatio(row.ratio), row.goal, row.verdict]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((cell) => cell[column].length)),
  );
  const line = (cell: string[]) =>
    cell
      .map((text, column) => (column === 2 ? text.padStart(widths[column]) : text.padEnd(widths[column])))
      .join('  ');
  process.stdout.write(`\n${line(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}\n`);
  for (const cell of cells) process.stdout.write(`${line(cell)}\n`);
}

async function main(argv: string[]): Promise<number> {
  const available = groups();
  const wanted = argv.filter((arg) => !arg.startsWith('-'));
  const unknown = wanted.filter((group) => !available.includes(group));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown bench group(s): ${unknown.join(', ')}; available: ${available.join(', ')}\n`,
    );
    return 1;
  }
  const selected = wanted.length > 0 ? available.filter((group) => wanted.includes(group)) : available;
  const summary: SummaryRow[] = [];
  let errors = 0;
  for (const group of selected) {
    const module = (await import(pathToFileURL(path.join(BENCH_DIR, `${group}.ts`)).href)) as Record<
      string,
      unknown
    >;
    const benches = Object.entries(module).filter(
      (entry): entry is [string, BenchFunction] =>
        /^bench[A-Z]/.test(entry[0]) && typeof entry[1] === 'function',
    );
    for (const [exportName, bench] of benches) {
      process.stdout.write(`\n== ${group}: ${exportName}\n`);
      const started = performance.now();
      try {
        const result = await bench();
        for (const row of Array.isArray(result) ? result : [result]) {
          const pass = typeof row.pass === 'boolean' ? row.pass : meetsGoal(row.ratio, row.goal);
          const info = row.goal === 'none';
          summary.push({
            group,
            name: row.name,
            ratio: row.ratio,
            goal: info ? '-' : row.goal,
            verdict: info ? 'info' : pass === false ? 'FAIL' : pass === true ? 'pass' : 'ERROR',
          });
          process.stdout.write(`   ${describeRow(row)}\n`);
        }
      } catch (error) {
        errors += 1;
        process.stderr.write(`${group}/${exportName} failed: ${(error as Error).stack ?? String(error)}\n`);
        summary.push({ group, name: exportName, ratio: null, goal: '-', verdict: 'ERROR' });
      }
      process.stdout.write(`   (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    }
  }
  printTable(summary);
  return errors > 0 || summary.length === 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
