import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { redisOptionsFromUrl } from '../src/redis/connection.ts';
import { spawnRedisServer } from '../src/redis/embedded.ts';
import { JobRecords } from '../src/store/job-records.ts';
import { JobRuns } from '../src/store/job-runs.ts';
import { batchThroughputRow } from './service/batch-throughput.ts';
import { cancelLatencyRow } from './service/cancel-latency.ts';
import { IN_FLIGHT, WORKER_CONCURRENCY } from './service/common.ts';
import { freePort, HttpClient } from './service/http-client.ts';
import { priorityCostRow } from './service/priority-cost.ts';
import { type Child, spawnTs, stopChild, waitForChild } from './service/processes.ts';
import { recoveryRow } from './service/recovery.ts';
import { sseLagRow } from './service/sse-lag.ts';
import { throughputRows } from './service/throughput.ts';
import { type BenchRow, describeRow } from './stats.ts';

/**
 * The service bench: the real API (`src/api/server.ts`) and a real worker (`workers/worker.ts`) as
 * child processes on a private redis-server (unix socket in a temp dir, no persistence), driven
 * over loopback HTTP from this process (the API logs at warn: at info pino writes two lines per
 * request to a pipe: measured, 0.30 ms of API CPU per tiny job instead of 0.17). One module per
 * figure, in this order:
 *
 *   (a) tiny-job throughput ÷ raw BullMQ, and (a′) its ceiling  service/throughput.ts
 *   (e) the same through /v1/jobs/batch ÷ raw BullMQ addBulk     service/batch-throughput.ts
 *   (f) raw BullMQ with the fair order's priorities ÷ without     service/priority-cost.ts
 *   (b) cancel latency                                          service/cancel-latency.ts
 *   (d) SIGKILL recovery (two workers of its own)               service/recovery.ts
 *   (c) SSE p99 lag, 1,000 subscribers ÷ 1 (no worker running)  service/sse-lag.ts
 */

export async function benchService(): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'descent-bench-'));
  const redisServer = await spawnRedisServer({
    socketPath: path.join(dir, 'redis.sock'),
    dir,
    args: ['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
  });
  const prefix = `bench-${process.pid}`;
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    REDIS_URL: redisServer.url,
    REDIS_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    API_KEYS: '',
    RATE_LIMIT_MAX: '0',
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
  };
  let api: Child | undefined;
  let worker: Child | undefined;
  const http = new HttpClient(baseUrl, IN_FLIGHT);
  const redis = new Redis({ ...redisOptionsFromUrl(redisServer.url), maxRetriesPerRequest: null });
  const rows: BenchRow[] = [];
  const stopAll = () => {
    for (const child of [api, worker]) child?.process.kill('SIGKILL');
  };
  process.once('exit', stopAll);
  try {
    api = spawnTs('src/api/server.ts', env);
    worker = spawnTs('workers/worker.ts', env);
    await waitForChild('the API', api, () => http.ok('/healthz'));
    const apiChild = api;
    await waitForChild(
      'a worker',
      worker,
      async () => (await http.ok('/readyz')) || apiChild.process.exitCode !== null,
    );

    const pids = { api: api.process.pid, worker: worker.process.pid, redis: redisServer.pid ?? undefined };
    rows.push(...(await throughputRows({ redisUrl: redisServer.url, prefix, http, redis, pids })));
    rows.push(await batchThroughputRow({ redisUrl: redisServer.url, prefix, http, redis, pids }));
    rows.push(await priorityCostRow(redisServer.url, `${prefix}-prio`));
    rows.push(await cancelLatencyRow(http));
    await stopChild(worker);
    rows.push(await recoveryRow({ http, redis, prefix, env }));
    rows.push(await sseLagRow(http, new JobRuns(redis, prefix), new JobRecords(redis, prefix)));
    return rows;
  } finally {
    await http.close();
    await stopChild(worker);
    await stopChild(api);
    process.off('exit', stopAll);
    await redis.quit().catch(() => redis.disconnect());
    await redisServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchService();
  for (const row of rows) console.log(describeRow(row));
  process.exitCode = rows.every((row) => row.pass) ? 0 : 1;
}
