// The file each evaluation thread loads (piscina). Threads run plain Node without tsx, also
// inside vitest, so this registers tsx for the TypeScript import; `tsImport` scopes the loader
// to that import tree (as workers/processor-entry.mjs does).
import { tsImport } from 'tsx/esm/api';

const { evaluateGrid, evaluateObjective } = await tsImport('./evaluation.ts', import.meta.url);

/** Evaluates on this thread and answers with the JSON text, so the event loop only sends it. */
export default function evaluate(task) {
  return JSON.stringify(evaluateObjective(task));
}

/** f over a grid (the grid form), as JSON text: `pool.run(task, { name: 'grid' })`. */
export function grid(task) {
  return JSON.stringify(evaluateGrid(task));
}
