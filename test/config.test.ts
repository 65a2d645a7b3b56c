import { readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SETTINGS } from '../src/config.ts';
import { DEFAULT_LIMITS } from '../src/schemas/limits.ts';

describe('loadConfig', () => {
  it('fills every default from an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      redisUrl: null,
      redisPrefix: 'descent',
      port: 3000,
      host: '127.0.0.1',
      logLevel: 'info',
      apiKeys: null,
      workerConcurrency: os.availableParallelism(),
      checkpointIntervalMs: 2000,
      workerHeartbeatMs: 2000,
      dataDir: './data',
      redisAppendfsync: 'always',
      bodyLimitBytes: 1024 * 1024,
      datasetBodyLimitBytes: 16 * 1024 * 1024,
      // An open server on loopback: nothing to protect, a notebook must never be throttled.
      rateLimitMax: 0,
    });
    expect(config.limits).toEqual(DEFAULT_LIMITS);
  });

  it('reads and converts values, treating empty strings as unset', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://localhost:6380/2',
      PORT: '8080',
      HOST: '0.0.0.0',
      MAX_DIM: '1e4',
      INLINE_PARAMS_MAX_DIM: '100',
      WORKER_CONCURRENCY: '3',
      LOG_LEVEL: '',
    });
    expect(config.redisUrl).toBe('redis://localhost:6380/2');
    expect(config.port).toBe(8080);
    expect(config.host).toBe('0.0.0.0');
    expect(config.limits.maxDim).toBe(10_000);
    expect(config.limits.inlineParamsMaxDim).toBe(100);
    expect(config.workerConcurrency).toBe(3);
    expect(config.logLevel).toBe('info');
  });

  it('parses API_KEYS into key → tenant', () => {
    const config = loadConfig({ API_KEYS: 'k1:alice, k:with:colons:bob ,k3:alice' });
    expect(config.apiKeys).toEqual(
      new Map([
        ['k1', 'alice'],
        ['k:with:colons', 'bob'],
        ['k3', 'alice'],
      ]),
    );
  });

  it('lists every bad variable in one readable error, without echoing secrets', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        WORKER_CONCURRENCY: '0',
        API_KEYS: 'secretkey',
        REDIS_URL: 'http://x',
        LOG_LEVEL: 'loud',
        REDIS_APPENDFSYNC: 'sometimes',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues.map((issue) => issue.split(':')[0]).sort()).toEqual(
      ['API_KEYS', 'LOG_LEVEL', 'PORT', 'REDIS_APPENDFSYNC', 'REDIS_URL', 'WORKER_CONCURRENCY'].sort(),
    );
    expect((error as ConfigError).message).toContain("PORT: must be an integer (got 'eighty')");
    expect((error as ConfigError).message).not.toContain('secretkey');
  });

  it('reads TRUST_PROXY as a boolean, a hop count or addresses and CIDR ranges', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,fe80::/10' }).trustProxy).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      'fe80::/10',
    ]);
    expect(() => loadConfig({ TRUST_PROXY: 'proxy.local' })).toThrow(/TRUST_PROXY: 'proxy.local' is not/);
  });

  it('limits the rate by default only on a shared server: with API keys, or beyond loopback', () => {
    expect(loadConfig({}).rateLimitMax).toBe(0);
    expect(loadConfig({ HOST: 'localhost' }).rateLimitMax).toBe(0);
    expect(loadConfig({ HOST: '::1' }).rateLimitMax).toBe(0);
    expect(loadConfig({ HOST: '127.0.0.2' }).rateLimitMax).toBe(0);
    expect(loadConfig({ HOST: '0.0.0.0' }).rateLimitMax).toBe(600);
    expect(loadConfig({ HOST: '192.168.1.20' }).rateLimitMax).toBe(600);
    expect(loadConfig({ API_KEYS: 'k1:alice' }).rateLimitMax).toBe(600);
    expect(loadConfig({ API_KEYS: 'k1:alice', RATE_LIMIT_MAX: '0' }).rateLimitMax).toBe(0);
    expect(loadConfig({ RATE_LIMIT_MAX: '50' }).rateLimitMax).toBe(50);
  });

  it('rejects inconsistent limits', () => {
    expect(() => loadConfig({ BODY_LIMIT_BYTES: '2000000', DATASET_BODY_LIMIT_BYTES: '1000000' })).toThrow(
      /DATASET_BODY_LIMIT_BYTES/,
    );
  });
});

/** The README's settings table ("### Settings"): variable → default and meaning, in order. */
function readmeSettings(): { name: string; default: string; meaning: string }[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('\n### Settings\n'));
  const rows: { name: string; default: string; meaning: string }[] = [];
  for (const line of section.split('\n').slice(2)) {
    if (line.startsWith('#')) break;
    const cells = line.split('|').map((cell) => cell.trim());
    const name = /^`([A-Z_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (name !== undefined)
      rows.push({ name, default: cells[2] ?? '', meaning: cells.slice(3, -1).join('|') });
  }
  return rows;
}

describe("the README's settings table", () => {
  it('lists every setting, in order, with the default and the description of SETTINGS', () => {
    const documented = readmeSettings();
    expect(documented.map((row) => row.name)).toEqual(Object.keys(SETTINGS));
    for (const row of documented) {
      const definition = SETTINGS[row.name as keyof typeof SETTINGS] as {
        default?: string | (() => string);
        defaultText?: string;
        description: string;
      };
      const shown =
        definition.defaultText ?? (typeof definition.default === 'string' ? definition.default : '');
      expect(row.default, row.name).toBe(shown);
      expect(row.meaning, row.name).toBe(definition.description);
    }
  });
});
