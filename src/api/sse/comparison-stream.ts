import type { ServerResponse } from 'node:http';
import type { TrajectoryPoint } from '../../core/types.ts';
import type { Comparison } from '../../schemas/comparison-resource.ts';
import type { JobRecord } from '../../store/contract.ts';
import { formatEvent, formatRetry, PING } from './format.ts';
import type { HubLogger, SseHub, Subscriber } from './hub.ts';

/**
 * The event stream of GET /v1/comparisons/{id}/events: every member job's points, multiplexed on
 * one response, through the SSE hub's per-job feeds (one reader per job however many streams
 * watch it; `SseHub.openMember`).
 *
 *   event: status   data: the Comparison; first, and again when a member's status changes
 *   event: points   data: {"jobId", "points": [...]}; id: the resume token
 *   event: end      data: the final Comparison, once every member has ended; then the stream closes
 *
 * Resume token: `v1.<i₀>.<i₁>.….<iₙ₋₁>`, for each member k in run order the last point i written
 * for it (-1: none yet). Each points event's id is the token right after that event, so a client
 * that reconnects with the last id it received (Last-Event-ID, or ?after=) has every member
 * resumed after its own last point: nothing lost or repeated per member, whatever the
 * interleaving. The token is plain text and versioned (`v1.`), so its form can change later
 * without clients parsing it: they only echo it.
 */

/** Parses a resume token into one `after` per member; null when it is malformed or has the wrong count. */
export function parseResumeToken(token: string, members: number): number[] | null {
  const match = /^v1((?:\.-?\d{1,15})+)$/.exec(token);
  if (match === null) return null;
  const values = match[1].slice(1).split('.').map(Number);
  if (values.length !== members || values.some((value) => !Number.isSafeInteger(value) || value < -1))
    return null;
  return values;
}

export interface ComparisonStreamOptions {
  hub: SseHub;
  response: ServerResponse;
  /** The comparison now (null: deleted), for `status` and `end`. */
  load(): Promise<Comparison | null>;
  logger: HubLogger;
  maxBufferBytes: number;
  pingMs: number;
  retryMs?: number;
}

export class ComparisonStream {
  private readonly members: (Subscriber | null)[];
  private readonly ended: boolean[];
  private lastStatus = '';
  private refreshing: Promise<void> | null = null;
  private dirty = false;
  private done = false;

  constructor(
    private readonly options: ComparisonStreamOptions,
    private readonly jobIds: readonly string[],
    private readonly after: readonly number[],
  ) {
    this.members = jobIds.map(() => null);
    this.ended = jobIds.map(() => false);
  }

  /** The token after what has been written so far. */
  token(): string {
    return `v1.${this.after.map((after, k) => this.members[k]?.lastSent ?? after).join('.')}`;
  }

  /** Writes the first status and attaches every member (`records[k]`: jobIds[k]'s record, or null when gone). */
  start(comparison: Comparison, records: readonly (JobRecord | null)[]): void {
    const { response, hub } = this.options;
    // One ping for the stream (its members' subscribers do not ping).
    const ping = setInterval(() => this.write(PING), this.options.pingMs);
    ping.unref();
    response.on('close', () => {
      this.done = true;
      clearInterval(ping);
    });
    if (this.options.retryMs !== undefined) response.write(formatRetry(this.options.retryMs));
    this.writeStatus(comparison);
    records.forEach((record, k) => {
      if (record === null) {
        this.ended[k] = true;
        return;
      }
      this.members[k] = hub.openMember(record, this.after[k], response, this.hooks(k));
    });
    if (this.ended.every(Boolean)) void this.finish();
  }

  private hooks(k: number) {
    const jobId = this.jobIds[k];
    return {
      pointsText: (points: TrajectoryPoint[]) => formatEvent('points', { jobId, points }, this.token()),
      status: () => this.refresh(),
      end: () => {
        this.ended[k] = true;
        if (this.ended.every(Boolean)) void this.finish();
        else this.refresh();
      },
      stop: () => this.stop(),
    };
  }

  private write(text: string): void {
    const { response } = this.options;
    if (this.done || response.writableEnded) return;
    if (response.writableLength > this.options.maxBufferBytes) {
      this.options.logger.warn({ buffered: response.writableLength }, 'dropping a slow event-stream client');
      this.done = true;
      response.destroy();
      return;
    }
    response.write(text);
  }

  private writeStatus(comparison: Comparison): void {
    const text = formatEvent('status', comparison);
    if (text === this.lastStatus) return;
    this.lastStatus = text;
    this.write(text);
  }

  /** Reads the comparison and sends it as `status` when it changed; calls made meanwhile coalesce. */
  private refresh(): void {
    if (this.refreshing !== null) {
      this.dirty = true;
      return;
    }
    this.refreshing = (async () => {
      do {
        this.dirty = false;
        const comparison = await this.options.load().catch((error: unknown) => {
          this.options.logger.warn({ err: error }, 'comparison stream: read failed');
          return undefined;
        });
        if (comparison === null) return this.stop();
        if (comparison !== undefined && !this.done) this.writeStatus(comparison);
      } while (this.dirty && !this.done);
    })().finally(() => {
      this.refreshing = null;
    });
  }

  /**
   * Every member has ended: its last points are written (a member's end comes after them). The
   * last member's finishing script set the comparison's final status, so this read shows it.
   */
  private async finish(): Promise<void> {
    await this.refreshing;
    if (this.done) return;
    const comparison = await this.options.load().catch(() => undefined);
    if (comparison === undefined || comparison === null) return this.stop();
    this.writeStatus(comparison);
    this.write(formatEvent('end', comparison));
    this.stop();
  }

  /** Ends the response (without `end` when members remain: the client resumes with its token). */
  private stop(): void {
    this.done = true;
    for (const member of this.members) member?.detach();
    const { response } = this.options;
    if (!response.writableEnded) response.end();
  }
}
