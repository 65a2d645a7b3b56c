import { parentPort, workerData } from 'node:worker_threads';
import { createWorkerRedis, waitUntilReady } from '../src/redis/connection.ts';
import { DatasetStore } from '../src/store/datasets.ts';
import { JobRuns } from '../src/store/job-runs.ts';
import { DatasetCache } from './dataset-cache.ts';
import { JobLife, type LifeContext } from './job-life.ts';
import type { FromThread, ThreadSettings, ToThread } from './run-threads.ts';

/**
 * A run thread (started by workers/run-threads.ts through thread-entry.mjs): runs the jobs the
 * main thread hands over, one at a time, each as `JobLife.run`, so a long CPU-bound run never
 * blocks the worker process's event loop, its lock renewal or the cancels it forwards. The thread
 * keeps one Redis connection for all its jobs. Messages: ToThread in, FromThread out.
 */

const settings = (workerData as { settings?: ThreadSettings } | null)?.settings;
const port = parentPort;
if (port === null || settings === undefined) {
  throw new Error(
    'workers/thread.ts runs on a run thread, with workerData.settings (workers/run-threads.ts)',
  );
}

const redis = createWorkerRedis({ redisUrl: settings.redisUrl }, { connectionName: 'descent-run-thread' });
const context: LifeContext = {
  runs: new JobRuns(redis, settings.redisPrefix, { finishedTtlSeconds: settings.jobTtlSeconds }),
  checkpointIntervalMs: settings.checkpointIntervalMs,
  inlineParamsMaxDim: settings.inlineParamsMaxDim,
  datasets: new DatasetCache(
    new DatasetStore(redis, settings.redisPrefix),
    settings.datasetCacheBytes ?? 64 * 1024 * 1024,
  ),
};
let controller: AbortController | null = null;

const post = (message: FromThread) => port.postMessage(message);

port.on('message', (message: ToThread) => {
  if (message.type === 'abort') controller?.abort(message.reason);
  else if (message.type === 'close') {
    redis
      .quit()
      .catch(() => redis.disconnect())
      .finally(() => port.close());
  } else {
    const job = new AbortController();
    controller = job;
    if (message.abort !== null) job.abort(message.abort);
    new JobLife(message.handover.jobId, context, job.signal)
      .run(message.handover)
      .then(
        (outcome) => post({ type: 'done', outcome }),
        (error: unknown) => {
          const { name, message: text, stack } = error instanceof Error ? error : new Error(String(error));
          post({ type: 'failed', error: { name, message: text, stack } });
        },
      )
      .finally(() => {
        if (controller === job) controller = null;
      });
  }
});

// Ready for a job once connected: no job waits for the connection either.
await waitUntilReady(redis, 60_000);
post({ type: 'ready' });
