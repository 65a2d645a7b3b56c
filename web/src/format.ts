/** Numbers and durations as the tables and legends show them. */

/** 4 significant digits; exponent form outside [1e-3, 1e5). */
export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return '—';
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) {
    return value
      .toExponential(digits - 1)
      .replace(/\.?0+e/, 'e')
      .replace('e+', 'e');
  }
  return Number(value.toPrecision(digits)).toString();
}

export function formatInteger(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString('en-US');
}

/** Milliseconds as "12.3 ms", "4.56 s", "2 min 3 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${formatNumber(ms, 3)} ms`;
  if (ms < 60_000) return `${formatNumber(ms / 1000, 3)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** An ISO time as a short local date and time. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'medium' });
}

/** "max_iterations" → "max iterations". */
export function formatStopReason(reason: string | null | undefined): string {
  return reason ? reason.replaceAll('_', ' ') : '—';
}
