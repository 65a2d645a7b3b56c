import type { Redis } from 'ioredis';
import type { TrajectoryPoint } from '../core/types.ts';
import type { TrajectoryStoreContract } from './contract.ts';
import { StoreKeys } from './keys.ts';
import { runScript } from './scripts.ts';

/**
 * Trajectories: one Redis Stream per job, `{p}:job:{id}:points`. A point's entry id is `{i}-1`
 * (0-0 is not a valid stream id, hence sequence 1), derived from its iteration, and its one
 * field `p` holds the point's JSON. A batch is appended by one Lua script that skips every point
 * whose id is not above the stream's last: one round trip per batch, and a job retried after a
 * crash can never write a point twice.
 */

/** The stream field holding a point's JSON. */
export const POINT_FIELD = 'p';

/** The script arguments of points: i1, json1, i2, json2, … (appended to `out`). */
export function pointArgs(
  points: readonly TrajectoryPoint[],
  out: (string | number | Buffer)[] = [],
): (string | number | Buffer)[] {
  for (let k = 0; k < points.length; k++) out.push(String(points[k].i), JSON.stringify(points[k]));
  return out;
}

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

  /** Appends in one round trip; skips points not above the last stored i. Resolves to the count added. */
  async append(id: string, points: TrajectoryPoint[]): Promise<number> {
    if (points.length === 0) return 0;
    return (await runScript(
      this.redis,
      'descentAppendPoints',
      [this.keys.points(id), this.keys.job(id)],
      pointArgs(points),
    )) as number;
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
