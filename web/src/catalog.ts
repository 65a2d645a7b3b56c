import { api } from './api-client.ts';
import type { ObjectiveCatalogEntry, OptimizerCatalogEntry } from './api-types.ts';
import { type ModelCatalog, parseModelCatalog } from './model-catalog.ts';

/** The catalogs, fetched once per page (they are static on a server). */

export interface Catalogs {
  objectives: ObjectiveCatalogEntry[];
  optimizers: OptimizerCatalogEntry[];
}

let loading: Promise<Catalogs> | null = null;
let models: Promise<ModelCatalog | null> | null = null;

/**
 * The model catalog, fetched when a model objective is first chosen (not at load: a server
 * without model objectives answers 404, which a browser reports in its console); null on 404.
 */
export function loadModelCatalog(): Promise<ModelCatalog | null> {
  models ??= api<unknown>('/v1/catalog/models').then(parseModelCatalog, (error) => {
    models = null;
    if ((error as { status?: number }).status === 404) return null;
    throw error;
  });
  return models;
}

export function loadCatalogs(): Promise<Catalogs> {
  loading ??= Promise.all([
    api<{ items: ObjectiveCatalogEntry[] }>('/v1/catalog/objectives'),
    api<{ items: OptimizerCatalogEntry[] }>('/v1/catalog/optimizers'),
  ]).then(([objectives, optimizers]) => ({ objectives: objectives.items, optimizers: optimizers.items }));
  // A failure (no key yet) is not kept: the next call tries again.
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

export function objectiveEntry(catalogs: Catalogs, name: string): ObjectiveCatalogEntry | undefined {
  return catalogs.objectives.find((entry) => entry.name === name);
}

export function optimizerEntry(catalogs: Catalogs, name: string): OptimizerCatalogEntry | undefined {
  return catalogs.optimizers.find((entry) => entry.name === name);
}
