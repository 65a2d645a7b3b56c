import type { ObjectiveInput } from './api-types.ts';
import { type Catalogs, objectiveEntry } from './catalog.ts';
import type { Box } from './contour.ts';
import type { Run } from './runs.ts';

/**
 * What the views need to know about an objective: whether it has a contour (2-D), its plotting
 * box, known minimisers (★) and minimum (for the gap f − f*), and a title. The catalog's
 * minimisers and minimum hold at the default parameters, so a builtin with other parameters
 * shows none.
 */

export interface ObjectiveInfo {
  title: string;
  twoD: boolean;
  box: Box | null;
  minimizers: number[][] | null;
  minimum: number | null;
}

type LooseObjective = {
  type: string;
  name?: string;
  dim?: number;
  params?: Record<string, unknown>;
  expression?: string;
  variables?: string[];
  model?: string;
  data?: { builtin?: string; datasetId?: string };
};

export function objectiveInfo(catalogs: Catalogs, input: ObjectiveInput): ObjectiveInfo {
  const objective = input as LooseObjective;
  if (objective.type === 'builtin' && objective.name) {
    const entry = objectiveEntry(catalogs, objective.name);
    if (!entry)
      return { title: objective.name, twoD: objective.dim === 2, box: null, minimizers: null, minimum: null };
    const dim = objective.dim ?? entry.defaultDim;
    const defaults = Object.entries(objective.params ?? {}).every(
      ([name, value]) => entry.params[name] === undefined || entry.params[name].default === value,
    );
    return {
      title: dim === 2 || !entry.anyDim ? entry.title : `${entry.title} (dim ${dim})`,
      twoD: dim === 2,
      box: dim === 2 ? { x: [...entry.box.x], y: [...entry.box.y] } : null,
      minimizers: defaults && dim === 2 ? entry.minimizers : null,
      minimum:
        defaults && entry.minimum !== null
          ? dim === entry.defaultDim
            ? entry.minimum
            : scaledMinimum(objective.name, entry.minimum, dim)
          : null,
    };
  }
  if (objective.type === 'expression') {
    return {
      title: objective.expression ?? 'expression',
      twoD: (objective.variables?.length ?? 0) === 2,
      box: null,
      minimizers: null,
      minimum: null,
    };
  }
  if (objective.type === 'model') {
    const data = objective.data?.builtin ?? (objective.data?.datasetId ? 'uploaded data' : 'data');
    return {
      title: `${(objective.model ?? 'model').replaceAll('_', ' ')} on ${data}`,
      twoD: false,
      box: null,
      minimizers: null,
      minimum: null,
    };
  }
  return { title: objective.type, twoD: false, box: null, minimizers: null, minimum: null };
}

/** Styblinski–Tang's minimum is −39.166… per dimension; the others' are 0 at any dim. */
function scaledMinimum(name: string, minimumAtDefault: number, dim: number): number {
  return name === 'styblinski_tang' ? (minimumAtDefault / 2) * dim : minimumAtDefault;
}

/**
 * A box around every recorded point and the start (for expressions, which have no catalog box):
 * the bounds padded by a fifth, at least 1 wide, so a path is seen with its surroundings.
 */
export function boxAroundRuns(runs: Run[]): Box | null {
  let x0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const run of runs) {
    const { x0: xs, x1: ys } = run.series.columns;
    for (let k = 0; k < run.series.length; k++) {
      const x = xs[k];
      const y = ys[k];
      if (!Number.isFinite(x) || !Number.isFinite(y) || Math.abs(x) > 1e6 || Math.abs(y) > 1e6) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (!Number.isFinite(x0)) return null;
  const pad = (lo: number, hi: number): [number, number] => {
    const half = Math.max(0.5, (hi - lo) * 0.6);
    const mid = (lo + hi) / 2;
    return [Number((mid - half).toPrecision(3)), Number((mid + half).toPrecision(3))];
  };
  return { x: pad(x0, x1), y: pad(y0, y1) };
}

/** Whether every recorded point lies inside the box. */
export function boxHoldsRuns(box: Box, runs: Run[]): boolean {
  for (const run of runs) {
    const { x0: xs, x1: ys } = run.series.columns;
    for (let k = 0; k < run.series.length; k++) {
      const x = xs[k];
      const y = ys[k];
      if (Math.abs(x) > 1e6 || Math.abs(y) > 1e6) continue;
      if (x < box.x[0] || x > box.x[1] || y < box.y[0] || y > box.y[1]) return false;
    }
  }
  return true;
}
