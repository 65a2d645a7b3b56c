import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { TrajectoryPoint } from '../../src/core/types.ts';
import { type RunningWorker, startWorker } from '../../workers/service.ts';
import { runCommand as run } from '../helpers/cli-process.ts';
import { createTestRedis, deletePrefix, randomPrefix, testRedisUrl } from '../helpers/redis.ts';
import { withoutTime } from '../helpers/specs.ts';

/**
 * `descent submit` as a user runs it: a child process (`node bin/descent.js submit …`) against a
 * real API on the private test Redis with a real worker.
 */

const bin = join(import.meta.dirname, '../../bin/descent.js');
const prefix = randomPrefix('cli-submit');
let app: FastifyInstance;
let worker: RunningWorker;
let baseUrl: string;

/** Runs the CLI asynchronously: the server answering it lives in this process. */
function descent(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [bin, ...args], env);
}

function specFile(spec: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'descent-submit-')), 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

async function fullTrajectory(id: string): Promise<TrajectoryPoint[]> {
  const points: TrajectoryPoint[] = [];
  let after = -1;
  for (;;) {
    const response = await fetch(`${baseUrl}/v1/jobs/${id}/trajectory?after=${after}&limit=10000`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { points: TrajectoryPoint[]; next: number; complete: boolean };
    points.push(...page.points);
    if (page.complete || page.points.length === 0) return points;
    after = page.next;
  }
}

/** Splits `--watch` output into the streamed points and the final Job (the last line). */
function parseWatchOutput(stdout: string): { points: TrajectoryPoint[]; job: Record<string, unknown> } {
  const lines = stdout.trimEnd().split('\n');
  const job = JSON.parse(lines.pop() as string) as Record<string, unknown>;
  return { points: lines.map((line) => JSON.parse(line) as TrajectoryPoint), job };
}

beforeAll(async () => {
  const config = loadConfig({
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    WORKER_CONCURRENCY: '2',
    WORKER_DEVICES: 'cpu',
    RATE_LIMIT_MAX: '0',
  });
  app = await buildApp({ config, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  baseUrl = `http://127.0.0.1:${address.port}`;
  worker = await startWorker(config);
});

afterAll(async () => {
  await worker?.close();
  await app?.close();
  const redis = createTestRedis();
  await deletePrefix(redis, prefix);
  await redis.quit();
});

describe('descent submit', () => {
  it('--watch prints every point once, in order, equal to the stored trajectory and to `descent run`, then the final Job', async () => {
    const file = specFile({
      objective: { type: 'builtin', name: 'rosenbrock' },
      optimizer: { name: 'adam', lr: 0.01 },
      stop: { maxIterations: 3000 },
      seed: 11,
    });
    const { status, stdout, stderr } = await descent(['submit', file, '--url', baseUrl, '--watch']);
    expect(stderr).toBe(''); // not a terminal: no progress line
    expect(status).toBe(0);
    const { points, job } = parseWatchOutput(stdout);
    expect(job.status).toBe('completed');
    expect(job.result).toMatchObject({ stopReason: 'max_iterations', iterations: 3000 });
    expect(points.map((point) => point.i)).toEqual(Array.from({ length: 3001 }, (_, i) => i));
    expect(points).toEqual(await fullTrajectory(job.id as string));
    // The same spec through `descent run` (in-process core): the same points, up to wall-clock t.
    const local = await descent(['run', file]);
    expect(local.status).toBe(0);
    expect(withoutTime(points)).toEqual(withoutTime(JSON.parse(local.stdout).trajectory));
  });

  it('--watch resumes a dropped event stream with Last-Event-ID: no point lost or repeated', async () => {
    const proxy = await droppingProxy(new URL(baseUrl).port);
    try {
      const file = specFile({
        objective: { type: 'builtin', name: 'rosenbrock', dim: 50 },
        optimizer: { name: 'adam', lr: 0.001 },
        stop: { maxIterations: 6000, gradTol: 0 },
        record: { params: false },
        seed: 5,
      });
      const { status, stdout, stderr } = await descent(['submit', file, '--url', proxy.url, '--watch']);
      expect(stderr).toBe('');
      expect(status).toBe(0);
      const { points, job } = parseWatchOutput(stdout);
      expect(proxy.eventRequests.length).toBeGreaterThanOrEqual(2);
      expect(proxy.eventRequests[0].lastEventId).toBeUndefined();
      const resumedAfter = Number(proxy.eventRequests[1].lastEventId);
      expect(resumedAfter).toBeGreaterThanOrEqual(0);
      expect(resumedAfter).toBeLessThan(6000);
      expect(points.map((point) => point.i)).toEqual(Array.from({ length: 6001 }, (_, i) => i));
      expect(points).toEqual(await fullTrajectory(job.id as string));
    } finally {
      await proxy.close();
    }
  });

  it('--watch exits 0 with the cancelled Job when the job is cancelled mid-run', async () => {
    const file = specFile({
      objective: { type: 'builtin', name: 'sphere', dim: 1000 },
      optimizer: { name: 'sgd', lr: 1e-6 },
      stop: { maxIterations: 10_000_000, gradTol: 0, maxSeconds: 30 },
      record: { every: 1000, params: false },
      seed: 1,
    });
    const running = descent(['submit', file, '--url', baseUrl, '--watch']);
    // Cancel the newest job once it is running.
    let id: string | undefined;
    for (let attempt = 0; attempt < 200 && id === undefined; attempt++) {
      const list = (await (await fetch(`${baseUrl}/v1/jobs?status=running&limit=1`)).json()) as {
        items: { id: string; spec: { objective: { dim: number } } }[];
      };
      id = list.items.find((item) => item.spec.objective.dim === 1000)?.id;
      if (id === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(id).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await fetch(`${baseUrl}/v1/jobs/${id}/cancel`, { method: 'POST' })).status).toBe(200);
    const { status, stdout } = await running;
    expect(status).toBe(0);
    const { points, job } = parseWatchOutput(stdout);
    expect(job).toMatchObject({ id, status: 'cancelled' });
    expect(points.length).toBeGreaterThan(0);
    expect(points).toEqual(await fullTrajectory(id as string));
  });

  it('--watch on a terminal draws a progress line on stderr, also on a terminal of unknown width', async () => {
    // util-linux `script` gives the CLI a real pty for stderr; its pty has no size (0 columns).
    // stdout goes to a file, so the points stay plain JSON lines.
    const file = specFile({
      objective: { type: 'builtin', name: 'rosenbrock', dim: 50 },
      optimizer: { name: 'adam', lr: 1e-3 },
      stop: { maxIterations: 100_000, gradTol: 0 },
      record: { every: 100 },
    });
    const out = join(mkdtempSync(join(tmpdir(), 'descent-submit-')), 'points.jsonl');
    const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
    const command = [process.execPath, bin, 'submit', file, '--url', baseUrl, '--watch'].map(quote).join(' ');
    const terminal = await run('script', ['-q', '-e', '-c', `${command} > ${quote(out)}`, '/dev/null']);
    expect(terminal.status).toBe(0);
    // Each redraw: carriage return, erase line, then the whole line (not cut to 10 characters).
    const lines = terminal.stdout.split('\r\x1b[2K').filter((line) => line.startsWith('iteration '));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^iteration \d+\/100000 {2}f=\S+ {2}‖g‖=\S+$/);
    const { points, job } = parseWatchOutput(readFileSync(out, 'utf8'));
    expect(job.status).toBe('completed');
    expect(points.map((point) => point.i)).toEqual(Array.from({ length: 1001 }, (_, k) => k * 100));
  });

  it('without --watch prints the accepted Job and exits 0', async () => {
    const file = specFile({
      objective: { type: 'builtin', name: 'sphere', dim: 2 },
      optimizer: { name: 'sgd' },
    });
    const { status, stdout, stderr } = await descent(['submit', file], { DESCENT_URL: baseUrl });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const job = JSON.parse(stdout);
    expect(job.id).toEqual(expect.any(String));
    expect(['queued', 'running', 'completed']).toContain(job.status);
    expect(job.spec.optimizer).toEqual({ name: 'sgd', lr: 0.01 });
    expect(job.links.events).toBe(`/v1/jobs/${job.id}/events`);
  });

  it('exits 2 with the server problem+json on stderr when the spec is refused', async () => {
    const file = specFile({
      objective: { type: 'builtin', name: 'sphere' },
      optimizer: { name: 'adam', lr: -1 },
    });
    const { status, stdout, stderr } = await descent(['submit', file, '--url', baseUrl, '--watch']);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    const problem = JSON.parse(stderr);
    expect(problem.status).toBe(400);
    expect(problem.errors).toContainEqual(expect.objectContaining({ path: 'optimizer.lr' }));
  });

  it('exits 1 with a readable message when no server answers', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const file = specFile({ objective: { type: 'builtin', name: 'sphere' }, optimizer: { name: 'sgd' } });
    const { status, stderr } = await descent(['submit', file, '--url', `http://127.0.0.1:${port}`]);
    expect(status).toBe(1);
    expect(stderr).toContain('cannot reach');
  });
});

/**
 * A TCP proxy in front of the API that cuts the first event-stream connection in the middle of
 * the stream (after its first `points` event, partway into what follows), as a flaky network
 * would; it records each event-stream request's Last-Event-ID.
 */
async function droppingProxy(
  targetPort: string,
): Promise<{ url: string; eventRequests: { lastEventId: string | undefined }[]; close(): Promise<void> }> {
  const eventRequests: { lastEventId: string | undefined }[] = [];
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: Number(targetPort) });
    sockets.add(client).add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    let isEvents = false;
    let seen = '';
    client.on('data', (chunk: Buffer) => {
      // fetch keeps connections alive: the event-stream request may follow the POST on one socket.
      const text = chunk.toString('latin1');
      if (/^GET \/v1\/jobs\/[^/\s]+\/events/m.test(text)) {
        isEvents = true;
        seen = '';
        eventRequests.push({ lastEventId: /\r\nlast-event-id: *([^\r]*)/i.exec(text)?.[1] });
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!isEvents || cut) {
        client.write(chunk);
        return;
      }
      // Cut once a whole `points` event has passed: forward half of what follows it, then drop.
      const text = seen + chunk.toString('latin1');
      const pointsAt = text.indexOf('event: points');
      const endAt = pointsAt === -1 ? -1 : text.indexOf('\n\n', pointsAt);
      if (endAt === -1) {
        seen = text;
        client.write(chunk);
        return;
      }
      cut = true;
      const keep = Math.max(0, endAt + 2 - seen.length);
      client.write(chunk.subarray(0, keep + Math.floor((chunk.length - keep) / 2)), () => {
        client.destroy();
        upstream.destroy();
      });
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    eventRequests,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
