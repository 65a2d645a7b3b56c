import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { redisOptionsFromUrl } from '../../src/redis/connection.ts';
import { pingSocket } from '../../src/redis/embedded.ts';
import { MAX_RESTARTS, superviseEmbeddedRedis } from '../../src/redis/supervisor.ts';
import { type Service, startService } from '../../src/start.ts';
import { useTempDirs } from '../helpers/temp-dirs.ts';

const tempDir = useTempDirs('descent-supervised-');

/** A promise of the first value passed to `callback`. */
function nextCall<T>(): { promise: Promise<T>; callback: (value: T) => void } {
  let callback: (value: T) => void = () => undefined;
  const promise = new Promise<T>((resolve) => {
    callback = resolve;
  });
  return { promise, callback };
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('superviseEmbeddedRedis', () => {
  it('restarts a killed server on the same socket and data, and stops for good when asked', async () => {
    const dataDir = tempDir();
    const restarted = nextCall<number | null>();
    const exits: (string | null)[] = [];
    const supervised = await superviseEmbeddedRedis({
      dataDir,
      onExit: (_code, signal) => exits.push(signal),
      onRestart: (server) => restarted.callback(server.pid),
      onGiveUp: (error) => {
        throw error;
      },
    });
    const first = supervised.current();
    const client = new Redis({ ...redisOptionsFromUrl(supervised.url), maxRetriesPerRequest: null });
    // Refused connections while the server is away are expected; the client keeps retrying.
    client.on('error', () => undefined);
    await client.set('acknowledged', 'kept');

    process.kill(first.pid as number, 'SIGKILL');
    const newPid = await restarted.promise;
    expect(exits).toEqual(['SIGKILL']);
    expect(newPid).not.toBe(first.pid);
    expect(supervised.current().url).toBe(first.url);
    // the client reconnects by itself, and the AOF kept the write Redis had acknowledged
    expect(await client.get('acknowledged')).toBe('kept');

    await client.quit();
    await supervised.stop();
    expect(await pingSocket(first.socketPath)).toBe(false);
    expect(exits).toEqual(['SIGKILL']);
  });

  it(`gives up after ${MAX_RESTARTS} restarts within a minute`, async () => {
    const gaveUp = nextCall<Error>();
    let restarts = 0;
    const supervised = await superviseEmbeddedRedis({
      dataDir: tempDir(),
      onRestart: (server) => {
        restarts++;
        process.kill(server.pid as number, 'SIGKILL');
      },
      onGiveUp: gaveUp.callback,
    });
    process.kill(supervised.current().pid as number, 'SIGKILL');
    const error = await gaveUp.promise;
    expect(restarts).toBe(MAX_RESTARTS);
    expect(error.message).toMatch(
      new RegExp(`exited ${MAX_RESTARTS + 1} times within a minute.*redis\\.log`),
    );
    await supervised.stop();
  });
});

describe('npm start (startService) when its embedded Redis dies', () => {
  it('keeps finished jobs, answers 503 while Redis is away, and runs new jobs once it is back', async () => {
    const dataDir = tempDir();
    const config = loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      WORKER_CONCURRENCY: '1',
      WORKER_HEARTBEAT_MS: '200',
      WORKER_SEEN_WITHIN_MS: '2000',
      RATE_LIMIT_MAX: '0',
    });
    const fatal: Error[] = [];
    const service: Service = await startService(config, { onFatal: (error) => fatal.push(error) });
    try {
      const address = service.app.server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const submit = async () => {
        const response = await fetch(`${base}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            objective: { type: 'builtin', name: 'sphere', dim: 2 },
            optimizer: { name: 'sgd', lr: 0.1 },
            stop: { maxIterations: 50 },
            seed: 7,
          }),
        });
        expect(response.status).toBe(202);
        return ((await response.json()) as { id: string }).id;
      };
      const completed = (id: string) =>
        until(async () => {
          const job = (await (await fetch(`${base}/v1/jobs/${id}`)).json()) as {
            status: string;
            result: { f: number } | null;
          };
          return job.status === 'completed' ? job : undefined;
        }, `job ${id} to complete`);

      const firstId = await submit();
      const before = await completed(firstId);
      const firstPid = service.redis?.current().pid as number;
      process.kill(firstPid, 'SIGKILL');

      // away: the API answers 503 problem+json (fail fast), then comes back by itself
      // (the restart waits 200 ms before it starts a new server: the poll sees the outage)
      const away = await until(
        async () => {
          const response = await fetch(`${base}/v1/jobs?limit=1`);
          return response.status === 503 ? response : undefined;
        },
        'a 503 while Redis is down',
        5_000,
      );
      expect(away.headers.get('content-type')).toMatch(/problem\+json/);
      await until(async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined), 'readyz again');
      expect(service.redis?.current().pid).not.toBe(firstPid);

      const kept = await completed(firstId);
      expect(kept.result?.f).toBe(before.result?.f);
      const after = await completed(await submit());
      expect(after.result?.f).toBe(before.result?.f);
      expect(fatal).toEqual([]);
    } finally {
      await service.close();
    }
  }, 60_000);
});
