import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SETTINGS, settingsMarkdown, settingsTable } from '../src/config.ts';
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
      rateLimitMax: 600,
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

  it('rejects inconsistent limits', () => {
    expect(() => loadConfig({ BODY_LIMIT_BYTES: '2000000', DATASET_BODY_LIMIT_BYTES: '1000000' })).toThrow(
      /DATASET_BODY_LIMIT_BYTES/,
    );
  });
});

describe('settings table', () => {
  it('documents every setting with a default and a description', () => {
    const rows = settingsTable();
    expect(rows.map((row) => row.name)).toEqual(Object.keys(SETTINGS));
    for (const row of rows) {
      expect(row.description.length).toBeGreaterThan(10);
      expect(row.default).not.toBe('');
    }
    expect(settingsMarkdown()).toContain('| `WORKER_CONCURRENCY` | number of CPU cores |');
  });
});
