import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { startTestService, type TestService } from './service.ts';

/** Real HTTP, as a browser on another origin sends it (fetch would drop the Origin header). */
function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        // An event stream never ends by itself: its headers and first status event are enough here.
        if (
          res.headers['content-type']?.startsWith('text/event-stream') &&
          /event: status\n.*\n\n/.test(text)
        ) {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const PAGE = 'http://localhost:5173';
const KEY = 'page-key-1';
const SPEC = JSON.stringify({
  objective: { type: 'builtin', name: 'sphere', dim: 2 },
  optimizer: { name: 'sgd', lr: 0.1 },
  stop: { maxIterations: 5 },
});

describe('CORS_ORIGINS', () => {
  it('reads `*` or a list of origins, and names the setting for anything else', () => {
    expect(loadConfig({}).corsOrigins).toBeNull();
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
    expect(
      loadConfig({ CORS_ORIGINS: 'http://localhost:5173, https://nb.example.org/' }).corsOrigins,
    ).toEqual(['http://localhost:5173', 'https://nb.example.org']);
    for (const bad of ['localhost:5173', 'https://nb.example.org/lab', 'file:///tmp/page.html']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS: .* is not an origin/);
    }
  });
});

describe('CORS', () => {
  let allowed: TestService;
  let closed: TestService;
  beforeAll(async () => {
    [allowed, closed] = await Promise.all([
      startTestService({
        env: {
          CORS_ORIGINS: `${PAGE},https://nb.example.org`,
          API_KEYS: `${KEY}:alice`,
          RATE_LIMIT_MAX: '100',
        },
      }),
      startTestService({ worker: false }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([allowed?.close(), closed?.close()]);
  });

  it('answers a preflight for POST /v1/jobs with a key and an Idempotency-Key', async () => {
    const response = await call(allowed.url, 'OPTIONS', '/v1/jobs', {
      origin: PAGE,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type,idempotency-key',
    });
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(PAGE);
    expect(String(response.headers['access-control-allow-methods']).split(/,\s*/)).toContain('POST');
    const allowedHeaders = String(response.headers['access-control-allow-headers'])
      .toLowerCase()
      .split(/,\s*/);
    expect(allowedHeaders).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']),
    );
  });

  it('lets the page read a 202 and its Location, and the event stream of the job', async () => {
    const submitted = await call(
      allowed.url,
      'POST',
      '/v1/jobs',
      { origin: PAGE, 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      SPEC,
    );
    expect(submitted.status).toBe(202);
    expect(submitted.headers['access-control-allow-origin']).toBe(PAGE);
    const exposed = String(submitted.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['location', 'x-request-id', 'idempotent-replayed']));
    const { id } = JSON.parse(submitted.body) as { id: string };

    const events = await call(allowed.url, 'GET', `/v1/jobs/${id}/events`, {
      origin: PAGE,
      authorization: `Bearer ${KEY}`,
      accept: 'text/event-stream',
    });
    expect(events.status).toBe(200);
    expect(events.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(events.headers['access-control-allow-origin']).toBe(PAGE);
    expect(events.body).toContain('event: status');
  });

  it('lets the page read a refusal too (401 problem+json without a key)', async () => {
    const refused = await call(allowed.url, 'GET', '/v1/jobs', { origin: PAGE });
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(PAGE);
    expect(JSON.parse(refused.body)).toMatchObject({ status: 401 });
  });

  it('sends no CORS header to an origin not listed, nor when CORS_ORIGINS is unset', async () => {
    const other = await call(allowed.url, 'GET', '/v1/catalog/optimizers', {
      origin: 'https://evil.example',
      authorization: `Bearer ${KEY}`,
    });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const unset = await call(closed.url, 'GET', '/v1/catalog/optimizers', { origin: PAGE });
    expect(unset.status).toBe(200);
    expect(unset.headers['access-control-allow-origin']).toBeUndefined();
  });
});
