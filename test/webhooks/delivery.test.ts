import '../helpers/loopback-guard.ts';
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyDescentSignature } from '../../examples/verify-webhook.ts';
import { createDescentClient, type DescentClient, type Job, type JobSpec } from '../../src/client/index.ts';
import type { Resolver } from '../../src/webhooks/destination.ts';
import { createWebhookQueue } from '../../src/webhooks/queue.ts';
import { startTestService, type TestService, waitFor } from '../api/service.ts';

/**
 * Webhooks end to end: the real API and worker, a receiver on 127.0.0.1 (listed in
 * WEBHOOK_ALLOWED_HOSTS), short backoff and timeout. This process's connections are guarded:
 * anything but loopback fails the test (test/helpers/loopback-guard.ts).
 */

const SECRET = 'test-webhook-secret-0123456789';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** The receiver: records every request; `answer` decides each response (default 200). */
class Receiver {
  readonly requests: Received[] = [];
  answer: (request: Received, response: ServerResponse, count: number) => void = (_request, response) =>
    response.writeHead(200).end('ok');
  private server: Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const received = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.requests.push(received);
        this.answer(received, response, this.requests.length);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** rebind.example resolves to a public address once (the API's check), then to a private one. */
const lookups = new Map<string, number>();
const resolver: Resolver = async (host) => {
  const count = (lookups.get(host) ?? 0) + 1;
  lookups.set(host, count);
  if (host === 'rebind.example') return [{ address: count === 1 ? '93.184.216.34' : '10.0.0.1', family: 4 }];
  if (host === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

let service: TestService;
let client: DescentClient;
const receiver = new Receiver();

beforeAll(async () => {
  await receiver.start();
  service = await startTestService({
    env: {
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_TIMEOUT_MS: '300',
      WEBHOOK_BACKOFF_MS: '400',
    },
    webhookResolver: resolver,
  });
  client = createDescentClient({ baseUrl: service.url });
});

afterAll(async () => {
  await service?.close();
  await receiver.stop();
});

beforeEach(() => {
  receiver.requests.length = 0;
  receiver.answer = (_request, response) => response.writeHead(200).end('ok');
});

const spec = (url: string): JobSpec => ({
  objective: { type: 'builtin', name: 'booth' },
  optimizer: { name: 'lbfgs' },
  webhook: { url },
});

/** The job once its webhook log satisfies `done`. */
function deliveriesOf(id: string, done: (job: Job) => boolean, timeoutMs = 20_000): Promise<Job> {
  return waitFor(async () => {
    const job = await client.getJob(id);
    return done(job) ? job : undefined;
  }, timeoutMs);
}

describe('a delivery', () => {
  it('POSTs the final job with a signature the README verifiers accept, and logs it on the job', async () => {
    const submitted = await client.submit(spec(receiver.url()));
    expect(submitted.webhook).toEqual({
      url: receiver.url(),
      deliveries: { attempts: 0, lastStatus: null, lastError: null, lastAttemptAt: null, deliveredAt: null },
    });
    const job = await deliveriesOf(
      submitted.id,
      (current) => current.webhook?.deliveries.deliveredAt != null,
    );
    expect(job.webhook?.deliveries).toMatchObject({ attempts: 1, lastStatus: 200, lastError: null });
    expect(receiver.requests).toHaveLength(1);
    const [{ headers, body }] = receiver.requests;
    expect(headers['content-type']).toBe('application/json');
    expect(headers['descent-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    const signature = String(headers['descent-signature']);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const payload = JSON.parse(body) as { type: string; data: Job };
    expect(payload.type).toBe('job.finished');
    expect(payload.data).toMatchObject({ id: submitted.id, status: 'completed' });
    expect(payload.data.result?.stopReason).toBe(job.result?.stopReason);

    expect(verifyDescentSignature(signature, body, SECRET)).toBe(true);
    expect(verifyDescentSignature(signature, body.replace('completed', 'failed'), SECRET)).toBe(false);
    expect(verifyDescentSignature(signature, body, 'another-secret-0123456789')).toBe(false);
    const stale = Math.floor(Date.now() / 1000) + 3600;
    expect(verifyDescentSignature(signature, body, SECRET, 300, stale)).toBe(false);

    const python = (text: string) =>
      execFileSync(
        'python3',
        [
          '-c',
          'import sys; sys.path.insert(0, "examples"); from verify_webhook import verify_descent_signature as v; ' +
            'print(v(sys.argv[1], sys.stdin.buffer.read(), sys.argv[2]))',
          signature,
          SECRET,
        ],
        { input: text },
      )
        .toString()
        .trim();
    expect(python(body)).toBe('True');
    expect(python(`${body} `)).toBe('False');
  });

  it('POSTs a finished comparison as comparison.finished, with its ranking', async () => {
    const comparison = await client.compare({
      objective: { type: 'builtin', name: 'booth' },
      runs: [{ optimizer: { name: 'lbfgs' } }, { optimizer: { name: 'adam', lr: 0.1 } }],
      webhook: { url: receiver.url('/comparisons') },
    });
    await waitFor(async () =>
      (await client.getComparison(comparison.id)).webhook?.deliveries.deliveredAt ? true : undefined,
    );
    expect(receiver.requests).toHaveLength(1);
    const payload = JSON.parse(receiver.requests[0].body) as {
      type: string;
      data: { id: string; status: string; ranking: unknown[] };
    };
    expect(payload.type).toBe('comparison.finished');
    expect(payload.data).toMatchObject({ id: comparison.id, status: 'completed' });
    expect(payload.data.ranking).toHaveLength(2);
    expect(
      verifyDescentSignature(
        String(receiver.requests[0].headers['descent-signature']),
        receiver.requests[0].body,
        SECRET,
      ),
    ).toBe(true);
    // Its members have no webhook of their own.
    expect(receiver.requests.every((request) => !request.body.includes('"type":"job.finished"'))).toBe(true);
  });
});

describe('retries', () => {
  it('retries after a 500, then delivers, with the same delivery id', async () => {
    receiver.answer = (_request, response, count) => response.writeHead(count === 1 ? 500 : 204).end();
    const submitted = await client.submit(spec(receiver.url()));
    const job = await deliveriesOf(
      submitted.id,
      (current) => current.webhook?.deliveries.deliveredAt != null,
    );
    expect(job.webhook?.deliveries).toMatchObject({ attempts: 2, lastStatus: 204, lastError: null });
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1].headers['descent-delivery']).toBe(
      receiver.requests[0].headers['descent-delivery'],
    );
  });

  it('retries after a timeout, then delivers', async () => {
    receiver.answer = (_request, response, count) => {
      if (count === 1) setTimeout(() => response.writeHead(200).end('too late'), 1000);
      else response.writeHead(200).end('ok');
    };
    const submitted = await client.submit(spec(receiver.url()));
    const failed = await deliveriesOf(submitted.id, (current) => current.webhook?.deliveries.attempts === 1);
    expect(failed.webhook?.deliveries).toMatchObject({
      lastStatus: null,
      lastError: 'no answer within 300 ms',
      deliveredAt: null,
    });
    const job = await deliveriesOf(
      submitted.id,
      (current) => current.webhook?.deliveries.deliveredAt != null,
    );
    expect(job.webhook?.deliveries).toMatchObject({ attempts: 2, lastStatus: 200, lastError: null });
  });

  it('keeps a pending delivery across a worker restart', async () => {
    let stopping: Promise<void> | null = null;
    receiver.answer = (_request, response, count) => {
      // The first attempt fails while its worker is going away: the retry waits in Redis.
      if (count === 1) {
        stopping = service.stopWorker();
        response.writeHead(503).end();
      } else response.writeHead(200).end('ok');
    };
    const submitted = await client.submit(spec(receiver.url()));
    await waitFor(async () => (stopping === null ? undefined : true));
    await stopping;
    expect(service.worker).toBeNull();
    // Well past the backoff, nobody has retried: the delivery is pending in the webhook queue.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver.requests).toHaveLength(1);
    const queue = createWebhookQueue(service.redis, service.config.redisPrefix);
    try {
      expect(await queue.getJobState(`job-${submitted.id}`)).toMatch(/^(delayed|waiting|prioritized)$/);
    } finally {
      await queue.close();
    }
    expect((await client.getJob(submitted.id)).webhook?.deliveries).toMatchObject({
      attempts: 1,
      lastStatus: 503,
    });
    await service.startWorker();
    const job = await deliveriesOf(
      submitted.id,
      (current) => current.webhook?.deliveries.deliveredAt != null,
    );
    expect(job.webhook?.deliveries).toMatchObject({ attempts: 2, lastStatus: 200 });
    expect(receiver.requests).toHaveLength(2);
  });
});

describe('destinations', () => {
  async function refusal(body: unknown, path = '/v1/jobs'): Promise<{ path: string; message: string }[]> {
    const response = await fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    return ((await response.json()) as { errors: { path: string; message: string }[] }).errors;
  }

  it('refuses 10.0.0.1, 169.254.169.254, localhost and [::1] at validation when they are not listed', async () => {
    for (const [url, reason] of [
      ['https://10.0.0.1/hook', 'private'],
      ['https://169.254.169.254/latest/meta-data', 'metadata'],
      ['https://localhost/hook', 'local or metadata host'],
      ['https://[::1]:8443/hook', 'loopback'],
      [`http://localhost:${receiver.port}/hook`, 'plain http'],
    ]) {
      const errors = await refusal(spec(url));
      expect(errors, url).toEqual([{ path: 'webhook.url', message: expect.stringContaining(reason) }]);
    }
    const batch = await refusal(
      { jobs: [spec(receiver.url()), spec('https://10.0.0.1/hook')] },
      '/v1/jobs/batch',
    );
    expect(batch.map((error) => error.path)).toEqual(['jobs[1].webhook.url']);
    const comparison = await refusal(
      {
        objective: { type: 'builtin', name: 'booth' },
        runs: [{ optimizer: { name: 'sgd' } }],
        webhook: { url: 'https://[::1]/h' },
      },
      '/v1/comparisons',
    );
    expect(comparison.map((error) => error.path)).toEqual(['webhook.url']);
    expect(receiver.requests).toHaveLength(0);
  });

  it('gives up a delivery whose host resolves to a private address at send time (DNS rebinding)', async () => {
    const submitted = await client.submit(spec('https://rebind.example/hook'));
    const job = await deliveriesOf(submitted.id, (current) => current.webhook?.deliveries.attempts === 1);
    expect(job.webhook?.deliveries).toMatchObject({
      lastStatus: null,
      deliveredAt: null,
      lastError: expect.stringContaining('rebind.example resolves to 10.0.0.1, a private address'),
    });
    const queue = createWebhookQueue(service.redis, service.config.redisPrefix);
    try {
      await waitFor(async () =>
        (await queue.getJobState(`job-${submitted.id}`)) === 'failed' ? true : undefined,
      );
    } finally {
      await queue.close();
    }
    // Given up at once: one attempt, not eight.
    expect((await client.getJob(submitted.id)).webhook?.deliveries.attempts).toBe(1);
    expect(lookups.get('rebind.example')).toBe(2);
  });
});
