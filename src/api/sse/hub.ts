import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TrajectoryPoint } from '../../core/types.ts';
import {
  FINISHED_STATUSES,
  type JobRecord,
  type JobRecordsContract,
  type JobStatus,
  type TrajectoryStoreContract,
} from '../../store/contract.ts';
import { formatEvent, formatRetry, PING } from './format.ts';

/**
 * The SSE hub of GET /v1/jobs/{id}/events.
 *
 * One reader per job ({@link JobFeed}), however many clients watch it: the feed polls the job's
 * trajectory stream for points after the last one it broadcast (one XRANGE per `pollMs`, about the
 * workers' flush interval), refreshes the job record when `{p}:events:{id}` announces a status
 * change (and every `statusPollMs` in case a message was missed), and fans each batch out to its
 * subscribers as one pre-encoded event string. When the job finishes the feed drains the stream,
 * sends `status` and `end` and closes every stream.
 *
 * A subscriber resumes after `after` (Last-Event-ID or ?after=): it is attached to the feed before
 * it reads anything, replays the stream from `after` on its own in pages while the feed's live
 * batches wait in its queue, then flushes the queue. Every point is sent once, in order: a point
 * is sent only when its `i` is above the last `i` sent. A finished job needs no feed: replay, then
 * `end`. When the job finishes during a subscriber's catch-up, the feed leaves it with `end` queued
 * and the subscriber closes itself after its replay (every point once, then `end`, whatever the
 * timing). A job deleted while watched closes its streams at once (a reconnect is a 404); a server
 * shutdown ends every stream, and the client resumes elsewhere with Last-Event-ID.
 *
 * Backpressure: a replay writes a page and waits for `drain` (a client that takes nothing for
 * `stallMs` is dropped). A live subscriber still behind by more than `maxBufferBytes` when the
 * next event comes (`writableLength`: bytes Node holds that the socket has not taken; while it
 * replays, the live events queued for it) is dropped, its connection destroyed, instead of
 * growing memory: at most the bound plus one event is held per client. The client can reconnect
 * with Last-Event-ID and lose nothing.
 */

export interface ChannelSubscriber {
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  off(event: 'message', listener: (channel: string, message: string) => void): unknown;
}

export interface HubLogger {
  warn(object: object, message: string): void;
  debug(object: object, message: string): void;
}

export interface SseHubOptions {
  jobs: Pick<JobRecordsContract, 'get'>;
  trajectories: Pick<TrajectoryStoreContract, 'read' | 'lastIteration'>;
  /** A connection in subscriber mode for `{p}:events:{id}`; null: status is polled only. */
  subscriber: ChannelSubscriber | null;
  /** The pub/sub channel of a job's status changes. */
  channel(id: string): string;
  /** The Job resource sent as the data of `status` and `end`. */
  toResource(record: JobRecord): unknown;
  logger: HubLogger;
  pingMs: number;
  maxBufferBytes: number;
  /** Interval of the feed's trajectory polls. */
  pollMs?: number;
  /** Interval of the feed's job-record refresh without a pub/sub message. */
  statusPollMs?: number;
  /** Points per stream read (replay pages and live batches). */
  pageSize?: number;
  /** `retry:` sent at the start of each stream (client reconnect delay). */
  retryMs?: number;
  /** A replaying client that takes nothing for this long is dropped (default 30 s). */
  stallMs?: number;
}

const STATUS_RANK: Record<JobStatus, number> = {
  queued: 0,
  running: 1,
  completed: 2,
  failed: 2,
  cancelled: 2,
};

/**
 * A subscriber that is one member of a multiplexed stream (a comparison's): the stream decides
 * how its points are encoded (`pointsText`, called with the subscriber's sentI already advanced
 * past them), what a status change or the member's end does, and `stop` ends the whole stream
 * without an `end` event (the job was deleted, or the server is shutting down).
 */
export interface MemberHooks {
  pointsText(points: TrajectoryPoint[]): string;
  status(record: JobRecord): void;
  end(record: JobRecord): void;
  stop(): void;
}

type QueuedEvent =
  | { kind: 'points'; points: TrajectoryPoint[]; text: string }
  | { kind: 'status'; record: JobRecord; text: string }
  | { kind: 'end'; record: JobRecord; text: string };

export class Subscriber {
  /** The last point `i` sent (or the resume point). */
  private sentI: number;
  private statusRank = -1;
  private replaying = true;
  private queue: QueuedEvent[] = [];
  private queuedBytes = 0;
  closed = false;
  feed: JobFeed | null = null;

  constructor(
    private readonly hub: SseHub,
    readonly id: string,
    readonly response: ServerResponse,
    after: number,
    private readonly member: MemberHooks | null = null,
  ) {
    this.sentI = after;
  }

  /** The last point `i` written to the client (or the resume point). */
  get lastSent(): number {
    return this.sentI;
  }

  /** Takes `record`'s status as already known (a member's first status is its stream's business). */
  knowStatus(record: JobRecord): void {
    this.statusRank = STATUS_RANK[record.status];
  }

  /** The text of a points event for `points`, which end at sentI (the shared encoding when given). */
  private pointsText(points: TrajectoryPoint[], shared?: string): string {
    if (this.member !== null) return this.member.pointsText(points);
    return shared ?? formatEvent('points', { points }, this.sentI);
  }

  /** Replays the stream after `sentI`, then goes live with what the feed queued meanwhile. */
  async replay(ready: Promise<void>): Promise<void> {
    await ready;
    const { trajectories, pageSize } = this.hub;
    while (!this.closed) {
      const page = await trajectories.read(this.id, this.sentI, pageSize);
      if (this.closed) return;
      if (page.length > 0) {
        const fresh = page.filter((point) => point.i > this.sentI);
        if (fresh.length > 0) {
          this.sentI = fresh[fresh.length - 1].i;
          if (!this.response.write(this.pointsText(fresh))) await this.drained();
        }
      }
      if (page.length < pageSize) break;
    }
    this.replaying = false;
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const event of queued) {
      if (this.closed) return;
      this.deliver(event);
    }
  }

  /** Waits for the client to take what was written; a client stalled for `stallMs` is dropped. */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.response.off('drain', done);
        this.response.off('close', done);
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        this.drop();
      }, this.hub.stallMs);
      this.response.once('drain', done);
      this.response.once('close', done);
    });
  }

  deliver(event: QueuedEvent): void {
    if (this.closed) return;
    if (this.replaying) {
      // The replay itself is paced by `drain`; what the feed queues meanwhile is bounded.
      if (this.queuedBytes > this.hub.maxBufferBytes) {
        this.drop();
        return;
      }
      this.queue.push(event);
      this.queuedBytes += event.text.length;
      return;
    }
    switch (event.kind) {
      case 'points': {
        const { points } = event;
        const last = points[points.length - 1].i;
        if (last <= this.sentI) return;
        // Live subscribers are in step with the feed, so the shared encoding is the usual case.
        const fresh = points[0].i > this.sentI ? points : points.filter((point) => point.i > this.sentI);
        this.sentI = last;
        this.write(this.pointsText(fresh, fresh === points ? event.text : undefined));
        return;
      }
      case 'status':
        this.sendStatus(event.record, event.text);
        return;
      case 'end':
        if (this.member !== null) {
          this.statusRank = STATUS_RANK[event.record.status];
          this.detach();
          this.member.end(event.record);
          return;
        }
        this.sendStatus(event.record, this.hub.statusText(event.record));
        if (this.closed) return;
        this.write(event.text);
        this.close();
        return;
    }
  }

  /** Sends a status event when the status moved forward (queued → running → finished). */
  sendStatus(record: JobRecord, text: string): void {
    const rank = STATUS_RANK[record.status];
    if (rank <= this.statusRank) return;
    this.statusRank = rank;
    if (this.member !== null) this.member.status(record);
    else this.write(text);
  }

  /**
   * Writes unless the client is already behind by more than the bound (bytes Node holds for
   * it that the socket has not taken): then it is dropped. Memory per client stays below the
   * bound plus one event.
   */
  write(text: string): void {
    if (this.closed) return;
    if (this.response.writableLength > this.hub.maxBufferBytes) {
      this.drop();
      return;
    }
    this.response.write(text);
  }

  ping(): void {
    // A multiplexed stream pings for itself (src/api/sse/comparison-stream.ts).
    if (this.member === null) this.write(PING);
  }

  /** Too slow: give up on this client rather than buffer without bound. */
  drop(): void {
    if (this.closed) return;
    this.hub.dropped += 1;
    this.hub.logger.warn(
      { jobId: this.id, buffered: this.response.writableLength + this.queuedBytes },
      'dropping a slow event-stream client',
    );
    this.detach();
    this.response.destroy();
  }

  close(): void {
    if (this.closed) return;
    this.detach();
    if (this.member !== null) this.member.stop();
    else if (!this.response.writableEnded) this.response.end();
  }

  detach(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.hub.remove(this);
  }
}

class JobFeed {
  readonly subscribers = new Set<Subscriber>();
  readonly ready: Promise<void>;
  private record: JobRecord;
  private lastI = -1;
  private stopped = false;
  private statusDirty = true;
  private wakeUp: (() => void) | null = null;

  constructor(
    private readonly hub: SseHub,
    record: JobRecord,
  ) {
    this.record = record;
    this.ready = this.init();
    void this.ready.then(() => this.loop());
  }

  get id(): string {
    return this.record.id;
  }

  /** Listens for status changes, then starts after the last stored point (subscribers replay the rest). */
  private async init(): Promise<void> {
    await this.hub.listen(this);
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        this.lastI = await this.hub.trajectories.lastIteration(this.id);
        return;
      } catch (error) {
        this.hub.logger.warn(
          { err: error, jobId: this.id },
          'event feed: cannot read the trajectory; retrying',
        );
        await sleep(Math.min(2000, 100 * attempt));
      }
    }
  }

  private async loop(): Promise<void> {
    const { jobs, trajectories, pageSize, pollMs, statusPollMs } = this.hub;
    let lastStatusCheck = Date.now();
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.statusDirty || Date.now() - lastStatusCheck >= statusPollMs) {
          this.statusDirty = false;
          lastStatusCheck = Date.now();
          const record = await jobs.get(this.id);
          if (record === null) {
            // Deleted while watched: nothing more will come.
            this.closeAll();
            return;
          }
          const changed = record.status !== this.record.status;
          this.record = record;
          if (changed && !FINISHED_STATUSES.has(record.status)) this.broadcastStatus(record);
        }
        // The status was read before the points: once it says finished, this read drains the stream.
        while (!this.stopped) {
          const page = await trajectories.read(this.id, this.lastI, pageSize);
          if (page.length > 0) {
            this.lastI = page[page.length - 1].i;
            this.broadcast({
              kind: 'points',
              points: page,
              text: formatEvent('points', { points: page }, this.lastI),
            });
          }
          if (page.length < pageSize) break;
        }
        if (FINISHED_STATUSES.has(this.record.status)) {
          this.broadcastStatus(this.record);
          this.broadcast({
            kind: 'end',
            record: this.record,
            text: formatEvent('end', this.hub.resource(this.record)),
          });
          this.release();
          return;
        }
        failures = 0;
        await this.sleep(pollMs);
      } catch (error) {
        failures += 1;
        this.hub.logger.warn({ err: error, jobId: this.id }, 'event feed: read failed; retrying');
        await this.sleep(Math.min(2000, 100 * failures));
      }
    }
  }

  private broadcastStatus(record: JobRecord): void {
    this.broadcast({ kind: 'status', record, text: this.hub.statusText(record) });
  }

  private broadcast(event: QueuedEvent): void {
    for (const subscriber of [...this.subscribers]) subscriber.deliver(event);
  }

  /** A status message arrived on `{p}:events:{id}`. */
  notify(): void {
    this.statusDirty = true;
    this.wake();
  }

  private wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = null;
    wakeUp?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  add(subscriber: Subscriber): void {
    this.subscribers.add(subscriber);
    subscriber.feed = this;
  }

  remove(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0) this.stop();
  }

  /** The job is gone: nothing more will come; a reconnect is answered 404. */
  private closeAll(): void {
    for (const subscriber of [...this.subscribers]) subscriber.close();
    this.stop();
  }

  /**
   * The job finished and `end` went to every subscriber: a live one has written it and closed. One
   * still catching up holds it in its queue, behind points its replay has yet to read: it is let go
   * rather than closed, and closes itself once its replay has flushed that queue up to `end`.
   */
  private release(): void {
    for (const subscriber of this.subscribers) subscriber.feed = null;
    this.subscribers.clear();
    this.stop();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.hub.forget(this);
    this.wake();
  }
}

export class SseHub {
  readonly jobs: SseHubOptions['jobs'];
  readonly trajectories: SseHubOptions['trajectories'];
  readonly logger: HubLogger;
  readonly maxBufferBytes: number;
  readonly pollMs: number;
  readonly statusPollMs: number;
  readonly pageSize: number;
  readonly stallMs: number;
  /** Clients dropped for being too slow, since start. */
  dropped = 0;

  private readonly options: SseHubOptions;
  private readonly feeds = new Map<string, JobFeed>();
  private readonly listeners = new Map<string, Set<JobFeed>>();
  private readonly subscribers = new Set<Subscriber>();
  private readonly pingTimer: NodeJS.Timeout;
  private readonly onMessage = (channel: string) => {
    for (const feed of this.listeners.get(channel) ?? []) feed.notify();
  };
  private closed = false;

  constructor(options: SseHubOptions) {
    this.options = options;
    this.jobs = options.jobs;
    this.trajectories = options.trajectories;
    this.logger = options.logger;
    this.maxBufferBytes = options.maxBufferBytes;
    this.pollMs = options.pollMs ?? 50;
    this.statusPollMs = options.statusPollMs ?? 1000;
    this.pageSize = options.pageSize ?? 1000;
    this.stallMs = options.stallMs ?? 30_000;
    options.subscriber?.on('message', this.onMessage);
    this.pingTimer = setInterval(() => {
      for (const subscriber of [...this.subscribers]) subscriber.ping();
    }, options.pingMs);
    this.pingTimer.unref();
  }

  /** Open event streams. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Jobs with a live reader. */
  get feedCount(): number {
    return this.feeds.size;
  }

  resource(record: JobRecord): unknown {
    return this.options.toResource(record);
  }

  statusText(record: JobRecord): string {
    return formatEvent('status', this.options.toResource(record));
  }

  /**
   * Streams `record`'s events to `response` (headers already written): `status` now, the points
   * after `after`, live points and status changes, `end` when the job finishes.
   */
  open(record: JobRecord, after: number, response: ServerResponse): void {
    if (this.closed) {
      response.end();
      return;
    }
    const subscriber = new Subscriber(this, record.id, response, after);
    this.subscribers.add(subscriber);
    response.on('close', () => subscriber.detach());
    if (this.options.retryMs !== undefined) response.write(formatRetry(this.options.retryMs));
    subscriber.sendStatus(record, this.statusText(record));

    this.start(record, subscriber, formatEvent('end', this.resource(record)));
  }

  /**
   * Streams `record`'s points after `after` into a multiplexed stream (`response`, headers already
   * written, shared with the other members): through the job's one feed, like `open`, but with
   * the stream's encoding and no status of its own until the job's status changes (`hooks`).
   * Returns the subscriber, whose `lastSent` is the member's part of the stream's resume token.
   */
  openMember(record: JobRecord, after: number, response: ServerResponse, hooks: MemberHooks): Subscriber {
    const subscriber = new Subscriber(this, record.id, response, after, hooks);
    subscriber.knowStatus(record);
    if (this.closed) {
      subscriber.detach();
      queueMicrotask(() => hooks.stop());
      return subscriber;
    }
    this.subscribers.add(subscriber);
    response.on('close', () => subscriber.detach());
    this.start(record, subscriber, '');
    return subscriber;
  }

  /**
   * A finished job: replay, then `end` (its text: `endText`). Otherwise: attach `subscriber` to the
   * job's feed (started on first use), replay, and go live.
   */
  private start(record: JobRecord, subscriber: Subscriber, endText: string): void {
    const onError = (error: unknown) => {
      this.logger.warn({ err: error, jobId: record.id }, 'event stream failed');
      subscriber.drop();
    };
    if (FINISHED_STATUSES.has(record.status)) {
      subscriber
        .replay(Promise.resolve())
        .then(() => subscriber.deliver({ kind: 'end', record, text: endText }))
        .catch(onError);
      return;
    }
    let feed = this.feeds.get(record.id);
    if (feed === undefined) {
      feed = new JobFeed(this, record);
      this.feeds.set(record.id, feed);
    }
    feed.add(subscriber);
    subscriber.replay(feed.ready).catch(onError);
  }

  remove(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    subscriber.feed?.remove(subscriber);
  }

  async listen(feed: JobFeed): Promise<void> {
    const subscriber = this.options.subscriber;
    if (subscriber === null) return;
    const channel = this.options.channel(feed.id);
    let set = this.listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
      set.add(feed);
      try {
        await subscriber.subscribe(channel);
      } catch (error) {
        // Status is still polled every statusPollMs; ioredis resubscribes on reconnect.
        this.logger.warn({ err: error, channel }, 'event feed: subscribe failed; polling status');
      }
      return;
    }
    set.add(feed);
  }

  forget(feed: JobFeed): void {
    if (this.feeds.get(feed.id) === feed) this.feeds.delete(feed.id);
    const channel = this.options.channel(feed.id);
    const set = this.listeners.get(channel);
    if (set === undefined || !set.delete(feed) || set.size > 0) return;
    this.listeners.delete(channel);
    this.options.subscriber?.unsubscribe(channel).catch(() => {});
  }

  /** Ends every stream (server shutdown); clients reconnect elsewhere with Last-Event-ID. */
  close(): void {
    this.closed = true;
    clearInterval(this.pingTimer);
    for (const subscriber of [...this.subscribers]) subscriber.close();
    for (const feed of [...this.feeds.values()]) feed.stop();
    this.options.subscriber?.off('message', this.onMessage);
  }
}
