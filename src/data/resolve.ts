import type { Dataset } from '../core/data/dataset.ts';
import { modelTask } from '../core/objectives/models/spec.ts';
import type { JobSpec, ModelObjectiveSpec } from '../core/spec.ts';
import { builtinData } from './builtin-datasets.ts';
import { datasetFromJson } from './json-table.ts';
import { modelDataset } from './model-data.ts';
import type { TabularDataset } from './tabular.ts';

/**
 * The rows a model spec trains on, as the core's run takes them (RunOptions.dataset): a built-in
 * regenerated from the job seed, inline rows parsed again (or `inline`, already parsed by
 * normalisation), or `stored`, the data set its datasetId names (read by the caller: a worker's
 * cache, the API's store). Then the view the model's task needs (modelDataset).
 */
export function modelDataFor(objective: ModelObjectiveSpec, seed: number, stored?: TabularDataset): Dataset {
  return modelDataset(tabularDataFor(objective, seed, stored), modelTask(objective));
}

/** The data set of a model spec, before the model's view (see modelDataFor). */
export function tabularDataFor(
  objective: ModelObjectiveSpec,
  seed: number,
  stored?: TabularDataset,
): TabularDataset {
  const data = objective.data;
  if ('builtin' in data) return builtinData(data, seed);
  if ('inline' in data) {
    if (stored !== undefined) return stored;
    const table = datasetFromJson(data.inline.X, data.inline.y, { task: data.inline.task });
    if (!table.ok) throw new Error(`inline data: ${table.errors[0]?.message}`);
    return table.dataset;
  }
  if (stored === undefined) throw new Error(`data set '${data.datasetId}' was not provided`);
  return stored;
}

/** The id of the stored data set a spec trains on, or null (not a model, or built-in or inline data). */
export function datasetIdOf(spec: Pick<JobSpec, 'objective'>): string | null {
  const objective = spec.objective;
  return objective.type === 'model' && 'datasetId' in objective.data ? objective.data.datasetId : null;
}
