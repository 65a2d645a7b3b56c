import { contours } from 'd3-contour';
import { api } from './api-client.ts';
import type { GridEvaluation, ObjectiveInput } from './api-types.ts';

/**
 * f over the plotting box, from the grid form of POST /v1/evaluate, and its contour bands with
 * log-spaced levels: v = log10(f − f_min + δ) with δ a millionth of f's range, cut at equally
 * spaced v, so the levels crowd where f is small (the valley a run follows) instead of being
 * spent on the walls. Non-finite f counts as above every level.
 */

export interface Box {
  x: [number, number];
  y: [number, number];
}

export interface Grid {
  box: Box;
  nx: number;
  ny: number;
  /** Row-major, x fastest (the API's order); NaN where f is not finite. */
  values: Float64Array;
  min: number;
  max: number;
}

export interface Band {
  /** The level in v = log10(f − f_min + δ); the band covers v >= level. */
  level: number;
  /** Its f. */
  f: number;
  /** Rings in grid coordinates (value k of a row at k + 0.5), as d3-contour gives them. */
  polygons: number[][][][];
}

/** Nodes along the longer side of the box. */
export const GRID_NODES = 180;

export function gridSize(box: Box): { nx: number; ny: number } {
  const aspect = (box.y[1] - box.y[0]) / (box.x[1] - box.x[0]);
  if (aspect <= 1) return { nx: GRID_NODES, ny: Math.max(24, Math.round(GRID_NODES * aspect)) };
  return { nx: Math.max(24, Math.round(GRID_NODES / aspect)), ny: GRID_NODES };
}

export async function fetchGrid(
  objective: ObjectiveInput,
  box: Box,
  options: { seed?: number; signal?: AbortSignal } = {},
): Promise<Grid> {
  const { nx, ny } = gridSize(box);
  const answer = await api<GridEvaluation>('/v1/evaluate', {
    method: 'POST',
    body: {
      objective,
      grid: { x: [box.x[0], box.x[1], nx], y: [box.y[0], box.y[1], ny] },
      seed: options.seed,
    },
    signal: options.signal,
  });
  const values = new Float64Array(nx * ny);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  answer.f.forEach((f, k) => {
    const value = f ?? Number.NaN;
    values[k] = value;
    if (value < min) min = value;
    if (value > max) max = value;
  });
  return { box, nx, ny, values, min, max };
}

/** The contour bands of a grid, `count` log-spaced levels. */
export function contourBands(grid: Grid, count = 22): Band[] {
  if (!(grid.max > grid.min)) return [];
  const delta = (grid.max - grid.min) * 1e-6;
  const top = Math.log10(grid.max - grid.min + delta);
  const bottom = Math.log10(delta);
  const transformed = new Array<number>(grid.values.length);
  for (let k = 0; k < grid.values.length; k++) {
    const f = grid.values[k];
    transformed[k] = Number.isNaN(f) ? top + 1 : Math.log10(f - grid.min + delta);
  }
  const levels = Array.from({ length: count }, (_, k) => bottom + ((top - bottom) * (k + 1)) / (count + 1));
  const generator = contours().size([grid.nx, grid.ny]).thresholds(levels);
  return generator(transformed).map((multiPolygon) => ({
    level: multiPolygon.value,
    f: grid.min + 10 ** multiPolygon.value - delta,
    polygons: multiPolygon.coordinates,
  }));
}

/** The nearest grid value to (x, y), or NaN outside the box. */
export function gridValueAt(grid: Grid, x: number, y: number): number {
  const i = Math.round(((x - grid.box.x[0]) / (grid.box.x[1] - grid.box.x[0])) * (grid.nx - 1));
  const j = Math.round(((y - grid.box.y[0]) / (grid.box.y[1] - grid.box.y[0])) * (grid.ny - 1));
  if (i < 0 || j < 0 || i >= grid.nx || j >= grid.ny) return Number.NaN;
  return grid.values[j * grid.nx + i];
}
