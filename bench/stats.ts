/** What every benchmark returns and `bench/run.ts` prints: a ratio against a same-run reference. */
export interface BenchRow {
  name: string;
  ratio: number;
  /** `>= x` or `<= x`. */
  goal: string;
  pass: boolean;
  details: Record<string, number>;
}

/** The middle sample (upper middle for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
