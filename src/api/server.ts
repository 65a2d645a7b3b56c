import { pathToFileURL } from 'node:url';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { buildApp } from './app.ts';

/**
 * `npm run api`: the HTTP API as a process. Reads every setting from env (src/config.ts), listens
 * on HOST:PORT, and on SIGTERM/SIGINT stops accepting connections, ends event streams (clients
 * resume elsewhere with Last-Event-ID), finishes in-flight requests and closes Redis; after 10 s
 * it exits regardless.
 */
export async function startServer(config: Config): Promise<FastifyInstance> {
  if (config.redisUrl === null) {
    throw new ConfigError([
      'REDIS_URL: must be set for `npm run api` (`npm start` runs the API with an embedded Redis instead)',
    ]);
  }
  const app = await buildApp({ config });
  closeWithGrace({ delay: 10_000, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an uncaught error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });
  await app.listen({ host: config.host, port: config.port });
  return app;
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
    await startServer(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`descent api: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
