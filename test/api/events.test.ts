import type { ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { EventSource, type EventSourceFetchInit } from 'eventsource';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Job,
  jobSchema,
  type TrajectoryPointResource,
  trajectoryPageSchema,
} from '../../src/schemas/job.ts';
import { pointsOf, readEventStreamOnce } from './plain-sse-client.ts';
import { FINISHED, startTestService, type TestService, waitFor } from './service.ts';

let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});

afterAll(async () => {
  await service?.close();
});

/** Runs for about `seconds` (the time limit: 10 million iterations at dim 200 take far longer than any of these). */
function timedSpec(seconds: number, seed = 11) {
  return {
    objective: { type: 'builtin', name: 'rosenbrock', dim: 200 },
    optimizer: { name: 'sgd', lr: 1e-6 },
    stop: { maxIterations: 10_000_000, maxSeconds: seconds, gradTol: 0 },
    record: { maxPoints: 2000 },
    seed,
  };
}

async function submit(body: unknown): Promise<Job> {
  const response = await request(service.url)
    .post('/v1/jobs')
    .send(body as object);
  expect(response.status).toBe(202);
  return jobSchema.parse(response.body);
}

async function trajectory(id: string): Promise<TrajectoryPointResource[]> {
  const points: TrajectoryPointResource[] = [];
  let after = -1;
  for (;;) {
    const page = trajectoryPageSchema.parse(
      (await request(service.url).get(`/v1/jobs/${id}/trajectory`).query({ after, limit: 10_000 })).body,
    );
    points.push(...page.points);
    after = page.next;
    if (page.complete) return points;
  }
}

interface Watch {
  source: EventSource;
  events: { type: string; data: unknown; lastEventId: string }[];
  points: TrajectoryPointResource[];
  /** Resolves with the final Job of the `end` event. */
  ended: Promise<Job>;
  /** Stream (re)connections seen by the client. */
  opens: number;
}

function watch(url: string, lastEventId?: string): Watch {
  // The first request resumes from `lastEventId`; on reconnects EventSource sends its own.
  const source = new EventSource(url, {
    fetch: (input, init: EventSourceFetchInit) =>
      fetch(input, {
        ...init,
        headers: { ...(lastEventId !== undefined ? { 'Last-Event-ID': lastEventId } : {}), ...init.headers },
      }),
  });
  const state: Watch = { source, events: [], points: [], ended: Promise.resolve() as never, opens: 0 };
  source.addEventListener('open', () => {
    state.opens += 1;
  });
  state.ended = new Promise<Job>((resolve, reject) => {
    for (const type of ['status', 'points', 'end']) {
      source.addEventListener(type, (event) => {
        const data = JSON.parse(event.data);
        state.events.push({ type, data, lastEventId: event.lastEventId });
        if (type === 'points') {
          state.points.push(...data.points);
          expect(event.lastEventId).toBe(String(data.points.at(-1).i));
        }
        if (type === 'end') {
          source.close();
          resolve(jobSchema.parse(data));
        }
      });
    }
    source.addEventListener('error', (event) => {
      if (source.readyState === EventSource.CLOSED)
        reject(new Error(`event stream failed: ${event.message}`));
    });
  });
  return state;
}

function eventsUrl(id: string, query = ''): string {
  return `${service.url}/v1/jobs/${id}/events${query}`;
}

function expectContiguous(points: TrajectoryPointResource[]) {
  const indices = points.map((point) => point.i);
  expect(new Set(indices).size).toBe(indices.length);
  for (let k = 1; k < indices.length; k++) expect(indices[k]).toBeGreaterThan(indices[k - 1]);
}

describe('GET /v1/jobs/{id}/events', () => {
  it('streams status first, then points in order, then end with the final job, and closes', async () => {
    const job = await submit(timedSpec(1));
    const watcher = watch(eventsUrl(job.id));
    const final = await watcher.ended;
    expect(watcher.events[0].type).toBe('status');
    expect(watcher.events.at(-1)?.type).toBe('end');
    expect(final.status).toBe('completed');
    expect(final.result?.stopReason).toBe('time_limit');
    const statuses = watcher.events
      .filter((event) => event.type === 'status')
      .map((event) => (event.data as Job).status);
    expect(statuses.at(-1)).toBe('completed');
    expect(new Set(statuses).size).toBe(statuses.length);
    expectContiguous(watcher.points);
    expect(watcher.points).toEqual(await trajectory(job.id));
  });

  it('fans one reader out to every subscriber of a job', async () => {
    const job = await submit(timedSpec(10, 12));
    const watchers = [watch(eventsUrl(job.id)), watch(eventsUrl(job.id)), watch(eventsUrl(job.id))];
    await waitFor(async () => (watchers.every((watcher) => watcher.points.length > 0) ? true : undefined));
    expect(service.app.sseHub.feedCount).toBe(1);
    expect(service.app.sseHub.subscriberCount).toBe(3);
    const metrics = await request(service.url).get('/metrics');
    expect(metrics.text).toMatch(/^descent_sse_subscribers 3$/m);
    await request(service.url).post(`/v1/jobs/${job.id}/cancel`);
    await Promise.all(watchers.map((watcher) => watcher.ended));
    const stored = await trajectory(job.id);
    for (const watcher of watchers) expect(watcher.points).toEqual(stored);
    await waitFor(async () => (service.app.sseHub.feedCount === 0 ? true : undefined));
  });

  it('resumes a dropped client from Last-Event-ID with no point lost or repeated', async () => {
    const job = await submit(timedSpec(2, 13));
    const first = watch(eventsUrl(job.id));
    await waitFor(async () => (first.points.length >= 50 ? true : undefined));
    first.source.close();
    const lastEventId = first.events.filter((event) => event.type === 'points').at(-1)?.lastEventId;
    expect(lastEventId).toBeDefined();
    // Points keep coming while the client is away.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const second = watch(eventsUrl(job.id), lastEventId);
    await second.ended;
    expect(second.points[0].i).toBeGreaterThan(Number(lastEventId));
    const combined = [...first.points, ...second.points];
    expectContiguous(combined);
    expect(combined).toEqual(await trajectory(job.id));
  });

  it('lets EventSource reconnect by itself after the server drops the stream, losing nothing', async () => {
    const responses: ServerResponse[] = [];
    const capture = (req: { url?: string }, res: ServerResponse) => {
      if (req.url?.includes('/events')) responses.push(res);
    };
    service.app.server.on('request', capture);
    try {
      const job = await submit(timedSpec(3, 14));
      const watcher = watch(eventsUrl(job.id));
      await waitFor(async () => (watcher.points.length >= 50 ? true : undefined));
      const dropped = responses.find((res) => !res.destroyed);
      expect(dropped).toBeDefined();
      dropped?.socket?.destroy();
      const final = await watcher.ended;
      expect(final.status).toBe('completed');
      expect(watcher.opens).toBeGreaterThanOrEqual(2);
      expectContiguous(watcher.points);
      expect(watcher.points).toEqual(await trajectory(job.id));
    } finally {
      service.app.server.off('request', capture);
    }
  });

  it('replays a finished job: status, every point, then end; ?after= skips what the client has', async () => {
    const job = await submit({
      objective: { type: 'builtin', name: 'booth' },
      optimizer: { name: 'momentum', lr: 0.01 },
      stop: { maxIterations: 400, gradTol: 0 },
      seed: 5,
    });
    await waitFor(async () => {
      const current = jobSchema.parse((await request(service.url).get(`/v1/jobs/${job.id}`)).body);
      return FINISHED.has(current.status) ? current : undefined;
    });
    const stored = await trajectory(job.id);
    expect(stored).toHaveLength(401);

    const replay = watch(eventsUrl(job.id));
    const final = await replay.ended;
    expect(replay.events.map((event) => event.type)).toEqual([
      'status',
      ...replay.events.slice(1, -1).map(() => 'points'),
      'end',
    ]);
    expect((replay.events[0].data as Job).status).toBe('completed');
    expect(final.status).toBe('completed');
    expect(replay.points).toEqual(stored);

    const resumed = watch(eventsUrl(job.id, '?after=100'));
    await resumed.ended;
    expect(resumed.points).toEqual(stored.slice(101));

    const past = watch(eventsUrl(job.id), '400');
    await past.ended;
    expect(past.points).toEqual([]);
    expect(past.events.map((event) => event.type)).toEqual(['status', 'end']);
  });

  it('gives a plain client that subscribes right after the 202 every point once, then end (30 trials)', async () => {
    // 4000 points: the job is still running when the stream opens and often finishes while the
    // new subscriber is still reading its catch-up pages (1000 points each).
    const spec = {
      objective: { type: 'builtin', name: 'sphere', dim: 2 },
      optimizer: { name: 'sgd', lr: 1e-4 },
      stop: { maxIterations: 3999, gradTol: 0 },
      seed: 3,
    };
    const short: string[] = [];
    for (let trial = 0; trial < 30; trial++) {
      const job = await submit(spec);
      const events = await readEventStreamOnce(eventsUrl(job.id));
      const indices = pointsOf(events).map((point) => point.i);
      const complete =
        events.at(-1)?.event === 'end' && indices.length === 4000 && indices.every((i, k) => i === k);
      if (!complete)
        short.push(`trial ${trial}: ${indices.length} points, last event ${events.at(-1)?.event}`);
    }
    expect(short).toEqual([]);
  }, 120_000);

  it('sends : ping comments on an open stream', async () => {
    const job = await submit(timedSpec(2, 15));
    const controller = new AbortController();
    const response = await fetch(eventsUrl(job.id), { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('\n: ping\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    controller.abort();
    expect(text).toContain('\n: ping\n');
    await request(service.url).post(`/v1/jobs/${job.id}/cancel`);
  });

  it('rejects a malformed Last-Event-ID with 400', async () => {
    const job = await submit(timedSpec(0.2, 16));
    const response = await request(service.url).get(`/v1/jobs/${job.id}/events`).set('last-event-id', 'abc');
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe('last-event-id');
  });
});

describe('a slow event-stream client', () => {
  let slow: TestService;
  beforeAll(async () => {
    slow = await startTestService({ env: { SSE_MAX_BUFFER_BYTES: '262144', WORKER_CONCURRENCY: '1' } });
  });
  afterAll(async () => {
    await slow?.close();
  });

  it('is dropped once it falls behind by more than the buffer bound, instead of growing memory', async () => {
    const response = await request(slow.url)
      .post('/v1/jobs')
      .send({
        // About 30 MB of points (3000 × 500 coordinates) in a few seconds.
        objective: { type: 'builtin', name: 'sphere', dim: 500 },
        optimizer: { name: 'sgd', lr: 1e-6 },
        stop: { maxIterations: 300_000, maxSeconds: 60, gradTol: 0 },
        record: { maxPoints: 3000, params: true },
        seed: 1,
      });
    const job = jobSchema.parse(response.body);
    const { port } = new URL(slow.url);
    // A client that sends its request and never reads: the kernel's buffers fill, then Node's.
    const socket = connect(Number(port), '127.0.0.1');
    socket.pause();
    socket.write(`GET /v1/jobs/${job.id}/events HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    // A client that reads gets every point.
    const reading = watch(`${slow.url}/v1/jobs/${job.id}/events`);
    try {
      await waitFor(async () => (slow.app.sseHub.dropped >= 1 ? true : undefined), 30_000);
    } finally {
      socket.destroy();
      await request(slow.url).post(`/v1/jobs/${job.id}/cancel`);
    }
    const final = await reading.ended;
    expect(FINISHED.has(final.status)).toBe(true);
    // Had the reading client been dropped too, EventSource would have resumed it: nothing lost.
    expectContiguous(reading.points);
    const stored = trajectoryPageSchema.parse(
      (await request(slow.url).get(`/v1/jobs/${job.id}/trajectory`).query({ limit: 10_000 })).body,
    ).points;
    expect(reading.points).toEqual(stored);
    const metrics = await request(slow.url).get('/metrics');
    expect(Number(/^descent_sse_dropped_total (\d+)$/m.exec(metrics.text)?.[1])).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
