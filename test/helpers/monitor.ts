import type { Redis } from 'ioredis';

/**
 * The commands Redis runs, as MONITOR reports them (client commands and, since Redis 7, the
 * commands scripts call), each as its argument list, in order. ioredis reports monitor lines that
 * reach the connection before it has switched to monitoring as a "command queue state error";
 * those lines precede anything a test does, so they are dropped rather than thrown.
 */
export async function monitorCommands(
  connection: Redis,
  keep: (args: string[]) => boolean = () => true,
): Promise<{ log: string[][]; stop(): void }> {
  const session = await connection.monitor();
  const log: string[][] = [];
  session.on('error', () => {});
  session.on('monitor', (_time: string, args: string[]) => {
    if (keep(args)) log.push(args);
  });
  return { log, stop: () => session.disconnect() };
}
