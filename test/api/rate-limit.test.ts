import { afterEach, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from './service.ts';

/**
 * The rate limit's defaults over real HTTP: an open server on loopback (the notebook and dashboard
 * case) is never throttled; a shared one (API keys, or a HOST other than loopback) keeps the limit.
 * RATE_LIMIT_MAX is left unset (the test helper's '0' is overridden with an empty value, which
 * counts as unset). The service listens on 127.0.0.1 in every case; HOST only picks the default.
 */

let service: TestService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

/** `count` GETs of /v1/jobs, 20 at a time as a notebook's thread pool would: the statuses. */
async function burst(url: string, count: number, headers: Record<string, string> = {}) {
  const statuses: number[] = [];
  const retryAfter: (string | null)[] = [];
  for (let sent = 0; sent < count; sent += 20) {
    const responses = await Promise.all(
      Array.from({ length: Math.min(20, count - sent) }, () => fetch(`${url}/v1/jobs?limit=1`, { headers })),
    );
    for (const response of responses) {
      statuses.push(response.status);
      if (response.status === 429) retryAfter.push(response.headers.get('retry-after'));
      await response.arrayBuffer();
    }
  }
  return { ok: statuses.filter((status) => status === 200).length, limited: retryAfter };
}

describe('rate limit defaults', () => {
  it('never throttles an open server on loopback: 700 quick GETs, no 429', async () => {
    service = await startTestService({ worker: false, env: { RATE_LIMIT_MAX: '', HOST: '127.0.0.1' } });
    expect(service.config.rateLimitMax).toBe(0);
    const { ok, limited } = await burst(service.url, 700);
    expect(limited).toEqual([]);
    expect(ok).toBe(700);
  });

  it('keeps 600 a minute per tenant on a server with API keys, answering 429 with Retry-After', async () => {
    service = await startTestService({ worker: false, env: { RATE_LIMIT_MAX: '', API_KEYS: 'key-1:alice' } });
    expect(service.config.rateLimitMax).toBe(600);
    const { ok, limited } = await burst(service.url, 700, { authorization: 'Bearer key-1' });
    expect(ok).toBe(600);
    expect(limited).toHaveLength(100);
    for (const value of limited) expect(Number(value)).toBeGreaterThanOrEqual(1);
  });

  it('keeps 600 a minute per client address on an open server listening beyond loopback', async () => {
    service = await startTestService({ worker: false, env: { RATE_LIMIT_MAX: '', HOST: '0.0.0.0' } });
    expect(service.config.rateLimitMax).toBe(600);
    const { ok, limited } = await burst(service.url, 700);
    expect(ok).toBe(600);
    expect(limited).toHaveLength(100);
  });
});
