import type { Redis } from 'ioredis';
import type { ListQuery } from './contract.ts';
import { flatToObject } from './job-codec.ts';
import { runScript } from './scripts.ts';

/**
 * Pages of a tenant's index, newest first, with opaque cursors: jobs (job-records.ts) and
 * comparisons (comparisons.ts) page alike, through list-jobs.lua.
 */

const LIST_MAX_LIMIT = 100;
/** Records a list call inspects at most (with filters, a page may then hold fewer than `limit`). */
const LIST_SCAN_BUDGET = 2000;

/** A list cursor that was not made by this store (the API answers 400). */
export class InvalidCursorError extends Error {
  constructor() {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}

function encodeCursor(score: string, id: string): string {
  return Buffer.from(`${score}:${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { score: string; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,16}):([A-Za-z0-9_-]{1,64})$/.exec(text);
  if (!match) throw new InvalidCursorError();
  return { score: match[1], id: match[2] };
}

/**
 * One page of a tenant's index (`index`: a zset of ids scored by creation ms; records at
 * `recordPrefix` + id, with `status` and `label` fields), newest first, as list-jobs.lua reads it.
 */
export async function listPage(
  redis: Redis,
  index: string,
  recordPrefix: string,
  query: ListQuery,
): Promise<{ hashes: Record<string, string>[]; nextCursor: string | null }> {
  const limit = Math.max(1, Math.min(LIST_MAX_LIMIT, Math.floor(query.limit)));
  const cursor = query.cursor ? decodeCursor(query.cursor) : null;
  const reply = (await runScript(
    redis,
    'descentListJobs',
    [index],
    [
      recordPrefix,
      cursor ? cursor.score : '+inf',
      cursor ? cursor.id : '',
      query.status ?? '',
      query.label !== undefined ? '1' : '0',
      query.label ?? '',
      limit,
      LIST_SCAN_BUDGET,
    ],
  )) as unknown[];
  const [score, id] = reply as [string | null, string | null];
  return {
    hashes: reply.slice(2).map(flatToObject),
    nextCursor: score !== null && id !== null ? encodeCursor(score, id) : null,
  };
}
