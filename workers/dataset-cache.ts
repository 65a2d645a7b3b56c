import type { Dataset } from '../src/core/data/dataset.ts';
import type { JobSpec } from '../src/core/spec.ts';
import { datasetIdOf, modelDataFor } from '../src/data/resolve.ts';
import type { TabularDataset } from '../src/data/tabular.ts';
import type { DatasetStore } from '../src/store/datasets.ts';

/**
 * The data sets a run thread has read, by id, least recently used first out: a data set is read
 * from Redis once per thread and then serves every job on it (data sets are immutable, and one
 * a queued or running job uses cannot be deleted, so a cached copy is never stale). Bounded by
 * bytes of X and y; the data set just used always stays, even alone over the budget, so a job on
 * a large data set still reads it once. Concurrent requests for one id share one read.
 *
 * Why per thread, not shared by the process's threads: a thread runs one job at a time and reads
 * on its own connection, and no data crosses threads (no copy, no SharedArrayBuffer plumbing
 * through the hand-over); the budget is the process's, split among its threads.
 */
export class DatasetCache {
  private readonly entries = new Map<string, TabularDataset>();
  private readonly inFlight = new Map<string, Promise<TabularDataset | null>>();
  private bytes = 0;
  /** Reads from the store so far (tests check that a data set is read once). */
  reads = 0;

  constructor(
    private readonly store: Pick<DatasetStore, 'read'>,
    private readonly maxBytes: number,
  ) {}

  /** The data set, from memory or read once; null when the store has none. */
  async get(id: string): Promise<TabularDataset | null> {
    const cached = this.entries.get(id);
    if (cached !== undefined) {
      // Most recently used last: Map iteration order is insertion order.
      this.entries.delete(id);
      this.entries.set(id, cached);
      return cached;
    }
    let pending = this.inFlight.get(id);
    if (pending === undefined) {
      this.reads++;
      pending = this.store.read(id).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    const dataset = await pending;
    if (dataset !== null && !this.entries.has(id)) this.add(id, dataset);
    return dataset;
  }

  /**
   * The data set a run of `spec` takes (RunOptions.dataset): undefined for other objectives; a
   * stored one through the cache, a built-in or inline one made from the spec.
   */
  async forSpec(spec: JobSpec): Promise<Dataset | undefined> {
    const objective = spec.objective;
    if (objective.type !== 'model') return undefined;
    const id = datasetIdOf(spec);
    if (id === null) return modelDataFor(objective, spec.seed);
    const stored = await this.get(id);
    if (stored === null) throw new Error(`the job's data set '${id}' no longer exists`);
    return modelDataFor(objective, spec.seed, stored);
  }

  private add(id: string, dataset: TabularDataset): void {
    this.entries.set(id, dataset);
    this.bytes += dataset.X.byteLength + dataset.y.byteLength;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes || oldest === id) break;
      this.entries.delete(oldest);
      this.bytes -= entry.X.byteLength + entry.y.byteLength;
    }
  }
}
