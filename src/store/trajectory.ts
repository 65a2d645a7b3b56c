import type { Redis } from 'ioredis';
import type { TrajectoryPoint } from '../core/types.ts';
import type { TrajectoryStoreContract } from './contract.ts';
import { StoreKeys } from './keys.ts';

/**
 * Trajectories, read: one Redis Stream per job, `{p}:job:{id}:points`, whose entry ids `{i}-1`
 * derive from the point's iteration and whose one field `p` holds the point's JSON. The worker
 * writes them (job-runs.ts: append, and the finishing scripts); the API reads them here (the SSE
 * hub, the trajectory route).
 */

/** The stream field holding a point's JSON. */
export const POINT_FIELD = 'p';

type StreamEntry = [id: string, fields: string[]];

/** Points of XRANGE/XREAD entries, in order. */
export function pointsFromEntries(entries: StreamEntry[]): TrajectoryPoint[] {
  const points: TrajectoryPoint[] = new Array(entries.length);
  for (let k = 0; k < entries.length; k++) {
    const fields = entries[k][1];
    // One field today; look it up by name so a later extra field cannot shift it.
    let json = fields[1];
    for (let f = 0; f + 1 < fields.length; f += 2) if (fields[f] === POINT_FIELD) json = fields[f + 1];
    points[k] = JSON.parse(json) as TrajectoryPoint;
  }
  return points;
}

/** The iteration of an entry id `{i}-1`. */
export function iterationOfEntryId(id: string): number {
  return Number.parseInt(id, 10);
}

/** The exclusive XRANGE/XREAD start for points with i > after. */
function startAfter(after: number): string {
  return after < 0 ? '-' : `(${Math.floor(after)}-1`;
}

export class TrajectoryStore implements TrajectoryStoreContract {
  readonly keys: StoreKeys;
  private readonly redis: Redis;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.keys = new StoreKeys(prefix);
  }

  async read(id: string, after: number, limit: number): Promise<TrajectoryPoint[]> {
    const entries = (await this.redis.xrange(
      this.keys.points(id),
      startAfter(after),
      '+',
      'COUNT',
      Math.max(1, Math.floor(limit)),
    )) as StreamEntry[];
    return pointsFromEntries(entries);
  }

  async lastIteration(id: string): Promise<number> {
    const tail = (await this.redis.xrevrange(this.keys.points(id), '+', '-', 'COUNT', 1)) as StreamEntry[];
    return tail.length === 0 ? -1 : iterationOfEntryId(tail[0][0]);
  }
}
