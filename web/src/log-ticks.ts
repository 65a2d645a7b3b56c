/**
 * Tick positions for log and asinh axes, in place of uPlot's: its log ticks step by adding
 * floating-point increments and never end below about 1e-16 (a run converging to f ≈ 1e-20
 * hung the page), so these are computed from exponents instead, each value the exact literal
 * `1ek`. Decades only, thinned to at most `maxTicks`; within a single decade 2× and 5× are added.
 */

const MAX_TICKS = 8;

function decade(k: number): number {
  return Number(`1e${k}`);
}

/** Ticks of a log axis over [min, max] (min > 0). */
export function logTicks(min: number, max: number, maxTicks = MAX_TICKS): number[] {
  if (!(min > 0) || !(max >= min)) return [];
  const first = Math.ceil(Math.log10(min) - 1e-9);
  const last = Math.floor(Math.log10(max) + 1e-9);
  if (last - first < 1) {
    const ticks: number[] = [];
    for (let k = first - 1; k <= last; k++) {
      for (const multiple of [1, 2, 5]) {
        const value = Number(`${multiple}e${k}`);
        if (value >= min && value <= max) ticks.push(value);
      }
    }
    return ticks;
  }
  const step = Math.max(1, Math.ceil((last - first + 1) / maxTicks));
  const ticks: number[] = [];
  for (let k = first; k <= last; k += step) ticks.push(decade(k));
  return ticks;
}

/** Ticks of an asinh axis: decades beyond ±linear, and 0 when the range holds it. */
export function asinhTicks(min: number, max: number, linear: number, maxTicks = MAX_TICKS): number[] {
  const positive = max > linear ? logTicks(Math.max(linear, min), max, Math.ceil(maxTicks / 2)) : [];
  const negative = min < -linear ? logTicks(Math.max(linear, -max), -min, Math.ceil(maxTicks / 2)) : [];
  const zero = min <= 0 && max >= 0 ? [0] : [];
  return [...negative.reverse().map((value) => -value), ...zero, ...positive];
}
