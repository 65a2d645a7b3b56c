import type { Redis } from 'ioredis';
import type { ComparisonSpec } from '../schemas/comparison.ts';
import type { JobSpec } from '../schemas/job-spec.ts';
import {
  FINISHED_STATUSES,
  type JobRecord,
  type ListQuery,
  NO_DELIVERIES,
  type WebhookState,
} from './contract.ts';
import { newId } from './ids.ts';
import { decodeWebhook } from './job-codec.ts';
import type { JobRecords } from './job-records.ts';
import type { JobSubmissions } from './job-submissions.ts';
import { StoreKeys } from './keys.ts';
import { listPage } from './list-page.ts';
import { runScript } from './scripts.ts';

/**
 * Comparisons: one parent record and one ordinary job per run (contract.ts has the layout).
 *
 * Why not a BullMQ FlowProducer: the parent has no work of its own. A flow would put a parent job
 * in BullMQ's waiting-children state only to learn when its children are done, on a path of its
 * own: the children's completion would go through BullMQ's flow scripts, a cancelled or deleted
 * child (removed from the queue while queued) would need BullMQ's dependency bookkeeping, and a
 * failed child would fail or orphan the parent unless told otherwise; and the parent's status
 * would still have to be mirrored into a record of ours for the API to read. Here the parent is
 * a Redis hash written with its members in the one create script (create-jobs.lua), and each
 * member's finishing script, whatever the way it finished (finish, finishUnstarted, fail, cancel
 * while queued), counts the comparison down in the same atomic step as the member's own status
 * (_release.lua): one owner of every transition, no extra round trip, and the last member sets the
 * comparison's final status and queues its webhook. Members go through the queue like any job
 * (fair order, tiny-job fast path and all).
 */

export type ComparisonStatus = 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';

export interface ComparisonRecord {
  id: string;
  tenant: string;
  status: ComparisonStatus;
  label: string | null;
  spec: ComparisonSpec;
  /** Member job ids in run order. */
  jobIds: string[];
  createdAt: string;
  finishedAt: string | null;
  cancelRequested: boolean;
  webhook?: WebhookState;
}

export function decodeComparisonRecord(hash: Record<string, string>): ComparisonRecord | null {
  if (hash.id === undefined || hash.jobIds === undefined) return null;
  return {
    id: hash.id,
    tenant: hash.tenant,
    status: hash.status as ComparisonStatus,
    label: hash.label ?? null,
    spec: JSON.parse(hash.spec) as ComparisonSpec,
    jobIds: JSON.parse(hash.jobIds) as string[],
    createdAt: hash.createdAt,
    finishedAt: hash.finishedAt ?? null,
    cancelRequested: hash.cancelRequested === '1',
    ...decodeWebhook(hash),
  };
}

export class ComparisonStore {
  readonly keys: StoreKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly jobs: JobRecords,
    /** Where a comparison's members are created, with its record (create-jobs.lua). */
    private readonly submissions: Pick<JobSubmissions, 'createRecords'>,
  ) {
    this.keys = new StoreKeys(prefix);
  }

  /**
   * Creates the comparison and its member jobs in one script (all or nothing, within the tenant's
   * cap). With an idempotency key, a replay returns the first call's comparison (created: false).
   * `position`: the tenant's active jobs before the members (their fair order).
   */
  async create(
    tenant: string,
    spec: ComparisonSpec,
    label: string | null,
    members: readonly JobSpec[],
    idempotencyKey?: string,
  ): Promise<{ comparison: ComparisonRecord; jobs: JobRecord[]; created: boolean; position: number }> {
    const id = newId();
    const jobs = members.map((member) => ({ id: newId(), spec: member, comparisonId: id }));
    const createdAt = new Date().toISOString();
    const comparison: ComparisonRecord = {
      id,
      tenant,
      status: 'queued',
      label,
      spec,
      jobIds: jobs.map((job) => job.id),
      createdAt,
      finishedAt: null,
      cancelRequested: false,
      ...(spec.webhook === undefined
        ? {}
        : { webhook: { url: spec.webhook.url, deliveries: NO_DELIVERIES } }),
    };
    const fields = ['id', id, 'tenant', tenant, 'status', 'queued', 'spec', JSON.stringify(spec)];
    fields.push('jobIds', JSON.stringify(comparison.jobIds), 'createdAt', createdAt);
    fields.push('unfinished', String(jobs.length), 'failed', '0', 'cancelRequested', '0');
    if (label !== null) fields.push('label', label);
    if (spec.webhook !== undefined) fields.push('webhook', spec.webhook.url);
    const outcome = await this.submissions.createRecords(tenant, jobs, {
      idempotency:
        idempotencyKey === undefined
          ? undefined
          : this.keys.idempotencyOf('comparison', tenant, idempotencyKey),
      value: id,
      livePrefix: this.keys.comparisonPrefix,
      comparison: { id, fields },
    });
    if (outcome.created) return { comparison, jobs: outcome.jobs, created: true, position: outcome.position };
    const existing = await this.get(outcome.value, tenant);
    if (existing === null) return this.create(tenant, spec, label, members);
    const records = await this.jobs.getMany(existing.jobIds);
    return {
      comparison: existing,
      jobs: records.filter((record): record is JobRecord => record !== null),
      created: false,
      position: await this.jobs.activeCount(tenant),
    };
  }

  /** The record, or null when missing or another tenant's (`tenant` undefined: any). */
  async get(id: string, tenant?: string): Promise<ComparisonRecord | null> {
    const record = decodeComparisonRecord(await this.redis.hgetall(this.keys.comparison(id)));
    if (record === null || (tenant !== undefined && record.tenant !== tenant)) return null;
    return record;
  }

  /** The comparison and its members (in run order; a member whose record is gone is left out). */
  async withMembers(
    id: string,
    tenant?: string,
  ): Promise<{ comparison: ComparisonRecord; jobs: JobRecord[] } | null> {
    const comparison = await this.get(id, tenant);
    if (comparison === null) return null;
    const jobs = await this.jobs.getMany(comparison.jobIds);
    return { comparison, jobs: jobs.filter((job): job is JobRecord => job !== null) };
  }

  /** Newest first, with their members; `cursor` as for jobs (else InvalidCursorError). */
  async list(
    tenant: string,
    query: ListQuery | (Omit<ListQuery, 'status'> & { status?: ComparisonStatus }),
  ): Promise<{ items: { comparison: ComparisonRecord; jobs: JobRecord[] }[]; nextCursor: string | null }> {
    const page = await listPage(
      this.redis,
      this.keys.tenantComparisons(tenant),
      this.keys.comparisonPrefix,
      query as ListQuery,
    );
    const comparisons = page.hashes
      .map(decodeComparisonRecord)
      .filter((record): record is ComparisonRecord => record !== null);
    const members = await this.jobs.getMany(comparisons.flatMap((comparison) => comparison.jobIds));
    let offset = 0;
    const items = comparisons.map((comparison) => {
      const jobs = members.slice(offset, offset + comparison.jobIds.length);
      offset += comparison.jobIds.length;
      return { comparison, jobs: jobs.filter((job): job is JobRecord => job !== null) };
    });
    return { items, nextCursor: page.nextCursor };
  }

  /**
   * Marks the comparison cancelled (it ends `cancelled` once its last member has) and cancels
   * every unfinished member, in one round trip: queued members at once, running ones by their
   * workers. Resolves to the members that were queued and are now cancelled (their queue entries
   * are the caller's to discard); idempotent: a finished comparison is left as it is.
   */
  async cancel(comparison: ComparisonRecord): Promise<string[]> {
    const marked = await runScript(
      this.redis,
      'descentCancelComparison',
      [this.keys.comparison(comparison.id)],
      [],
    );
    if (!marked) return [];
    const before = await this.jobs.getMany(comparison.jobIds);
    const unfinished = before.filter(
      (job): job is JobRecord => job !== null && !FINISHED_STATUSES.has(job.status),
    );
    const after = await Promise.all(unfinished.map((job) => this.jobs.requestCancel(job.id)));
    return unfinished
      .filter((job, k) => job.status === 'queued' && after[k]?.status === 'cancelled')
      .map((job) => job.id);
  }

  /** Deletes the comparison and its members: `active` (nothing deleted) while a member is queued or running. */
  async remove(id: string): Promise<'removed' | 'active'> {
    const reply = await runScript(
      this.redis,
      'descentRemoveComparison',
      [this.keys.comparison(id)],
      [`${this.keys.prefix}:comparisons:`, id, this.keys.prefix],
    );
    return reply === null ? 'active' : 'removed';
  }
}
