import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig, settingsHelp } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { NoAdapterError } from './devices.ts';
import { startWorker } from './service.ts';

/**
 * `npm run worker`: one worker process (WORKER_CONCURRENCY jobs on worker threads). Needs
 * REDIS_URL. SIGTERM or SIGINT: stop taking jobs, checkpoint the running ones and hand them back
 * to the queue, then exit 0.
 */

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(
    `npm run worker: a descent worker process\n\nSettings (environment variables):\n${settingsHelp()}\n`,
  );
  process.exit(0);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
}
if (config.redisUrl === null) {
  process.stderr.write(
    'REDIS_URL is not set: the worker needs a Redis (or use `npm start`, which embeds one)\n',
  );
  process.exit(1);
}

const logger = createLogger(config);
let worker: Awaited<ReturnType<typeof startWorker>>;
try {
  worker = await startWorker(config, { logger });
} catch (error) {
  // WORKER_DEVICES lists gpu and there is no adapter: say why, without a stack trace.
  if (!(error instanceof NoAdapterError)) throw error;
  logger.fatal(error.message);
  process.exit(1);
}

closeWithGrace(
  { delay: 30_000, logger: { error: (message: unknown) => logger.error(message) } },
  async ({ signal, err }) => {
    if (err) logger.error({ err }, 'worker crashed: shutting down');
    else logger.info({ signal }, 'shutting down');
    await worker.close();
  },
);
