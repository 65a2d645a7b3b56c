import { type Logger, pino } from 'pino';
import type { Config } from './config.ts';

/** The process logger: pino JSON lines on stdout at LOG_LEVEL. */
export function createLogger(config: Pick<Config, 'logLevel'>, name = 'descent'): Logger {
  return pino({ name, level: config.logLevel });
}
