import { pathToFileURL } from 'node:url';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { type RunningWorker, startWorker } from '../workers/service.ts';
import { buildApp } from './api/app.ts';
import { type Config, ConfigError, loadConfig, settingsHelp } from './config.ts';
import { createLogger } from './logger.ts';
import { type SupervisedRedis, superviseEmbeddedRedis } from './redis/supervisor.ts';

/**
 * `npm start`: the whole service in one process — the API and a worker (WORKER_CONCURRENCY jobs,
 * each run on its own worker thread, so runs never block the API's event loop). With REDIS_URL
 * unset it first starts an embedded redis-server (unix socket, AOF on, data under DATA_DIR).
 *
 * Shutdown (SIGINT, SIGTERM): the API stops accepting requests and ends its event streams, the
 * worker checkpoints its running jobs and hands them back to the queue (they resume on the next
 * start, or on another worker), then the embedded Redis writes its AOF and exits. Should the
 * embedded Redis die on its own, it is restarted on the same data (embedded-redis-supervisor.ts).
 */

export interface Service {
  config: Config;
  app: FastifyInstance;
  worker: RunningWorker;
  /** The embedded Redis, when REDIS_URL was unset. */
  redis: SupervisedRedis | null;
  close(): Promise<void>;
}

export interface ServiceHooks {
  /**
   * The embedded Redis could not be kept up (see embedded-redis-supervisor.ts). Default: log it
   * and exit with status 2.
   */
  onFatal?: (error: Error) => void;
}

export async function startService(config: Config, hooks: ServiceHooks = {}): Promise<Service> {
  const logger = createLogger(config);
  const onFatal =
    hooks.onFatal ??
    ((error: Error) => {
      logger.fatal({ err: error }, 'the embedded redis-server cannot be kept up: exiting');
      process.exit(2);
    });
  let embedded: SupervisedRedis | null = null;
  if (config.redisUrl === null) {
    embedded = await superviseEmbeddedRedis({
      dataDir: config.dataDir,
      appendfsync: config.redisAppendfsync,
      onAdopt: (socketPath) =>
        logger.warn({ socketPath }, 'an embedded redis-server from an earlier run is still up: using it'),
      onExit: (code, signal) =>
        logger.error({ code, signal }, 'the embedded redis-server exited: restarting it on the same data'),
      onRestart: (server) => logger.warn({ pid: server.pid }, 'the embedded redis-server is back'),
      onGiveUp: onFatal,
    });
    logger.info({ url: embedded.url, dataDir: config.dataDir }, 'embedded redis-server started');
    config = { ...config, redisUrl: embedded.url };
  }

  let app: FastifyInstance | null = null;
  let worker: RunningWorker | null = null;
  try {
    worker = await startWorker(config, { logger });
    app = await buildApp({ config });
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app?.close().catch(() => undefined);
    await worker?.close().catch(() => undefined);
    await embedded?.stop();
    throw error;
  }

  const started = { app, worker };
  let closing: Promise<void> | null = null;
  return {
    config,
    app,
    worker,
    redis: embedded,
    close() {
      closing ??= (async () => {
        await Promise.allSettled([started.app.close(), started.worker.close()]);
        await embedded?.stop();
      })();
      return closing;
    },
  };
}

function printHelp(): void {
  const lines = [
    'descent: optimization as a service',
    '',
    'npm start            API + worker in one process (embedded redis-server when REDIS_URL is unset)',
    'npm run api          the API alone (needs REDIS_URL)',
    'npm run worker       a worker alone (needs REDIS_URL)',
    '',
    'Settings (environment variables):',
    settingsHelp(),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    printHelp();
    return;
  }
  let service: Service;
  try {
    service = await startService(loadConfig());
  } catch (error) {
    process.stderr.write(`descent: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof ConfigError ? 1 : 2);
  }
  closeWithGrace({ delay: 30_000, logger: service.app.log }, async ({ signal, err }) => {
    if (err) service.app.log.error({ err }, 'closing after an uncaught error');
    else service.app.log.info({ signal }, 'shutting down');
    await service.close();
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
