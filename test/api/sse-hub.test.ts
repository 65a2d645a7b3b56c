import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toJobResource } from '../../src/api/job-resource.ts';
import { SseHub } from '../../src/api/sse/hub.ts';
import type { TrajectoryPoint } from '../../src/core/types.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import type { JobRuns } from '../../src/store/job-runs.ts';
import type { JobSubmissions } from '../../src/store/job-submissions.ts';
import { TrajectoryStore } from '../../src/store/trajectory.ts';
import { jobStores } from '../helpers/job-stores.ts';
import { connectTestRedis, createTestRedis } from '../helpers/redis.ts';
import { sampleResult } from '../helpers/results.ts';
import { makeSpec } from '../helpers/specs.ts';
import { pointsOf, readEventStreamOnce } from './plain-sse-client.ts';
import { waitFor } from './service.ts';

/**
 * The hub against real Redis with the interleavings forced: the subscriber's catch-up read (the
 * only read from `after = -1`: the feed starts after the last stored point) waits on a gate that
 * the test opens once the feed has done what the test wants to happen meanwhile.
 */

let redis: Redis;
let pubsub: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
let jobs: JobRecords;
let runs: JobRuns;
let submissions: JobSubmissions;
let trajectories: TrajectoryStore;

beforeAll(() => {
  ({ redis, prefix, cleanup } = connectTestRedis('sse-hub'));
  pubsub = createTestRedis();
  ({ jobs, submissions, runs } = jobStores(redis, prefix));
  trajectories = new TrajectoryStore(redis, prefix);
});

afterAll(async () => {
  pubsub.disconnect();
  await cleanup();
});

const silent = { warn() {}, debug() {} };

interface Gate {
  open(): void;
  /** Resolves once a catch-up read is waiting at the gate. */
  reached: Promise<void>;
}

interface Harness {
  hub: SseHub;
  url: string;
  gate: Gate;
  close(): Promise<void>;
}

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.close();
});

/** A hub whose catch-up reads (from after = -1) wait for `gate.open()`, served by a plain HTTP server. */
async function startHub(gated = true): Promise<Harness> {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let reachedResolve!: () => void;
  const reached = new Promise<void>((resolve) => {
    reachedResolve = resolve;
  });
  const hub = new SseHub({
    jobs,
    trajectories: {
      lastIteration: (id) => trajectories.lastIteration(id),
      read: async (id, after, limit) => {
        if (gated && after === -1) {
          reachedResolve();
          await opened;
        }
        return trajectories.read(id, after, limit);
      },
    },
    subscriber: pubsub,
    channel: (id) => jobs.keys.events(id),
    toResource: toJobResource,
    logger: silent,
    pingMs: 60_000,
    maxBufferBytes: 1 << 20,
    pollMs: 20,
    pageSize: 50,
  });
  const server: Server = createServer(async (request, response) => {
    const id = decodeURIComponent(request.url?.slice(1) ?? '');
    const record = await jobs.get(id);
    if (record === null) {
      response.writeHead(404).end();
      return;
    }
    const lastEventId = request.headers['last-event-id'];
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    hub.open(record, lastEventId === undefined ? -1 : Number(lastEventId), response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const harness: Harness = {
    hub,
    url: `http://127.0.0.1:${port}`,
    gate: { open, reached },
    async close() {
      open();
      hub.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  harnesses.push(harness);
  return harness;
}

function points(from: number, to: number): TrajectoryPoint[] {
  const out: TrajectoryPoint[] = [];
  for (let i = from; i <= to; i++) out.push({ i, f: 1 / (i + 1), gradNorm: i, lr: 0.01, t: i });
  return out;
}

const result = sampleResult({ iterations: 199 });
const params = { final: new Float64Array([1, 1]), best: new Float64Array([1, 1]) };

/** A running job with points 0..99 stored. */
async function runningJob(): Promise<string> {
  const { job } = await submissions.create('default', makeSpec({ stop: { maxIterations: 199 } }));
  await runs.begin(job.id);
  await runs.append(job.id, points(0, 99));
  return job.id;
}

function eventNames(events: { event?: string }[]): string[] {
  return events.map((event) => event.event ?? 'message');
}

describe('SseHub with the job finishing during a subscriber catch-up', () => {
  it('delivers every point once, then end, when the feed ends the job before the catch-up read returns', async () => {
    const { hub, url, gate } = await startHub();
    const id = await runningJob();
    const stream = readEventStreamOnce(`${url}/${id}`);
    await gate.reached;
    expect(hub.feedCount).toBe(1);
    // The rest of the run and its end, while the new subscriber's first read is held.
    await runs.append(id, points(100, 199));
    expect(await runs.finish(id, 'completed', result, params)).toBe(true);
    // The feed has seen the end, broadcast it and stopped.
    await waitFor(async () => (hub.feedCount === 0 ? true : undefined));
    gate.open();

    const events = await stream;
    expect(pointsOf(events).map((point) => point.i)).toEqual(points(0, 199).map((point) => point.i));
    const names = eventNames(events);
    expect(names[0]).toBe('status');
    expect(names.at(-1)).toBe('end');
    expect(JSON.parse(events.at(-1)?.data ?? '{}').status).toBe('completed');
    expect(names.filter((name) => name === 'end')).toHaveLength(1);
    expect(hub.subscriberCount).toBe(0);
  });
});

describe('SseHub: other ways a feed closes its streams', () => {
  it('closes the streams of a job deleted while watched, without end; a reconnect is a 404', async () => {
    const { hub, url } = await startHub(false);
    const id = await runningJob();
    const stream = readEventStreamOnce(`${url}/${id}`);
    await waitFor(async () => (hub.subscriberCount === 1 && hub.feedCount === 1 ? true : undefined));
    await jobs.remove(id);
    await redis.publish(jobs.keys.events(id), 'deleted');
    const events = await stream;
    expect(eventNames(events)).not.toContain('end');
    // What the catch-up had sent before the trajectory went with the job: a prefix, in order.
    const seen = pointsOf(events).map((point) => point.i);
    expect(seen).toEqual(points(0, seen.length - 1).map((point) => point.i));
    expect(hub.subscriberCount).toBe(0);
    expect(hub.feedCount).toBe(0);
    expect((await fetch(`${url}/${id}`)).status).toBe(404);
  });

  it('ends a catching-up stream at server close; a reconnect elsewhere with Last-Event-ID loses nothing', async () => {
    const first = await startHub();
    const id = await runningJob();
    const stream = readEventStreamOnce(`${first.url}/${id}`);
    await first.gate.reached;
    first.hub.close();
    first.gate.open();
    const before = await stream;
    expect(eventNames(before)).not.toContain('end');
    const seen = pointsOf(before).map((point) => point.i);
    const lastEventId = before.filter((event) => event.id !== undefined).at(-1)?.id ?? '-1';

    await runs.append(id, points(100, 199));
    expect(await runs.finish(id, 'completed', result, params)).toBe(true);
    const second = await startHub(false);
    const after = await readEventStreamOnce(`${second.url}/${id}`, { 'last-event-id': lastEventId });
    expect(eventNames(after).at(-1)).toBe('end');
    expect([...seen, ...pointsOf(after).map((point) => point.i)]).toEqual(
      points(0, 199).map((point) => point.i),
    );
  });
});
