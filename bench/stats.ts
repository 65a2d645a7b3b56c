/** What every benchmark returns and `bench/run.ts` prints: a ratio against a same-run reference. */
export interface BenchRow {
  name: string;
  ratio: number;
  /** `>= x` or `<= x`; `none` for a row that informs without a goal. */
  goal: string;
  /** null for an informational row. */
  pass: boolean | null;
  details: Record<string, number>;
}

/** The middle sample (upper middle for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** One line for a finished row: its ratio and the raw figures behind it. */
export function describeRow(row: BenchRow): string {
  const details = Object.entries(row.details)
    .map(([key, value]) => `${key} ${formatNumber(value)}`)
    .join(', ');
  const verdict = row.pass === null ? 'info' : `goal ${row.goal}, ${row.pass ? 'pass' : 'FAIL'}`;
  return `${row.name}: ratio ${formatNumber(row.ratio)} (${verdict})${details ? `; ${details}` : ''}`;
}

/** Integers and large values whole, others to 3 significant digits. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) || Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}
