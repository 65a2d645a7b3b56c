/**
 * Run colours. Okabe & Ito's eight colours are told apart under the common colour-vision
 * deficiencies; the order puts the strongest contrasts first, and each theme drops the one colour
 * that vanishes on its background (yellow on white, black on the dark theme). A sweep colours
 * its runs by position on a viridis ramp instead (ordered, also colour-blind safe), so the
 * colour reads as "small lr → large lr".
 */

const LIGHT = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const DARK = ['#56B4E9', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#F0E442', '#F5F5F5'];

export function prefersDark(): boolean {
  return window.matchMedia('(prefers-color-scheme: dark)').matches;
}

/** The colour of run k of an unordered set of runs. */
export function runColor(k: number, dark = prefersDark()): string {
  const palette = dark ? DARK : LIGHT;
  return palette[k % palette.length];
}

/** Viridis at t in [0, 1] (a 6-stop piecewise-linear approximation). */
export function viridis(t: number): string {
  const stops = [
    [68, 1, 84],
    [65, 68, 135],
    [42, 120, 142],
    [34, 168, 132],
    [122, 209, 81],
    [220, 227, 25],
  ];
  const clamped = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const k = Math.min(stops.length - 2, Math.floor(clamped));
  const u = clamped - k;
  const rgb = stops[k].map((value, c) => Math.round(value + (stops[k + 1][c] - value) * u));
  return `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
}

/** The colour of run k of n in a sweep (ordered by the swept value). */
export function sweepColor(k: number, n: number): string {
  // The ramp's last tenth is a yellow that vanishes on white: stop short of it.
  return viridis(n <= 1 ? 0.3 : (0.9 * k) / (n - 1));
}

/** `#rrggbb` or `rgb(r, g, b)` → [r, g, b]. */
export function parseColor(color: string): [number, number, number] {
  if (color.startsWith('#')) {
    const value = Number.parseInt(color.slice(1), 16);
    return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
  }
  const parts = color.match(/\d+/g)?.map(Number) ?? [0, 0, 0];
  return [parts[0], parts[1], parts[2]];
}

/** The colour with alpha a. */
export function withAlpha(color: string, alpha: number): string {
  const [r, g, b] = parseColor(color);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** A CSS custom property of the page's theme (styles.css). */
export function themeColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
