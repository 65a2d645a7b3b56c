import { setTimeout as sleep } from 'node:timers/promises';
import { type EmbeddedRedisOptions, type RedisServerHandle, startEmbeddedRedis } from './embedded.ts';

/**
 * Keeps the embedded redis-server of `npm start` up. When it exits without being asked to
 * (killed, crashed), it is started again on the same socket and data: the AOF holds every write
 * Redis acknowledged (appended before the reply; the OS keeps it when the process dies), and the
 * API's and workers' connections reconnect by themselves (the API answers 503 meanwhile). After
 * MAX_RESTARTS restarts within a minute the supervisor gives up and says so (`npm start` then
 * exits with status 2, for a process manager of its own to take over).
 */

export const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
/** Pause before a restart, so a server that dies at once does not spin. */
const RESTART_DELAY_MS = 200;

export interface SupervisorOptions extends Omit<EmbeddedRedisOptions, 'onUnexpectedExit' | 'socketPath'> {
  /** The server exited unexpectedly; a restart follows (unless given up). */
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  /** A restarted server answers again. */
  onRestart?: (server: RedisServerHandle) => void;
  /** Restarting failed or was attempted too often: the service has no Redis any more. */
  onGiveUp: (error: Error) => void;
}

export interface SupervisedRedis {
  /** `unix:///…/redis.sock`: the same across restarts. */
  readonly url: string;
  /** The server running now (a new one after each restart). */
  current(): RedisServerHandle;
  /** Stops supervising and shuts the server down (it writes its AOF first). */
  stop(): Promise<void>;
}

export async function superviseEmbeddedRedis(options: SupervisorOptions): Promise<SupervisedRedis> {
  const { onExit, onRestart, onGiveUp, ...serverOptions } = options;
  let stopped = false;
  let restarting: Promise<void> = Promise.resolve();
  const restartTimes: number[] = [];

  const start = (socketPath?: string) =>
    startEmbeddedRedis({ ...serverOptions, socketPath, onUnexpectedExit: handleExit });

  function handleExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (stopped) return;
    onExit?.(code, signal);
    const now = Date.now();
    while (restartTimes.length > 0 && now - restartTimes[0] > RESTART_WINDOW_MS) restartTimes.shift();
    if (restartTimes.length >= MAX_RESTARTS) {
      onGiveUp(
        new Error(
          `the embedded redis-server exited ${MAX_RESTARTS + 1} times within a minute ` +
            `(last: code ${code}, signal ${signal}); see ${serverOptions.dataDir}/redis.log`,
        ),
      );
      return;
    }
    restartTimes.push(now);
    restarting = (async () => {
      await sleep(RESTART_DELAY_MS);
      if (stopped) return;
      try {
        server = await start(server.socketPath);
        if (!stopped) onRestart?.(server);
      } catch (error) {
        onGiveUp(error instanceof Error ? error : new Error(String(error)));
      }
    })();
  }

  let server = await start();
  return {
    url: server.url,
    current: () => server,
    async stop() {
      stopped = true;
      await restarting;
      await server.stop();
    },
  };
}
