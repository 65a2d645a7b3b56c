import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmbeddedRedisInUseError, holdOwnership, isOwned } from './owner.ts';
import { withSocketConnection } from './socket.ts';

/**
 * A private redis-server child process on a unix socket: the embedded Redis of `npm start`
 * (REDIS_URL unset; AOF on, data under DATA_DIR) and the tests' throwaway Redis.
 */

export interface RedisServerHandle {
  /** `unix:///…/redis.sock`, for REDIS_URL and redisOptionsFromUrl. */
  url: string;
  socketPath: string;
  /** The child's pid; null when an already running server on the socket was adopted. */
  pid: number | null;
  /** Shuts the server down (it writes its AOF first) and waits for it to exit. */
  stop(): Promise<void>;
}

export interface SpawnRedisOptions {
  /** Where the socket goes (<= ~100 bytes: the unix socket path limit). */
  socketPath: string;
  /** The server's working directory (AOF and RDB files). */
  dir: string;
  /** More redis-server options, e.g. ['--appendonly', 'yes']. */
  args?: string[];
  startTimeoutMs?: number;
  /** The executable; default `redis-server` from PATH. */
  command?: string;
  /**
   * Own process group: a Ctrl-C in the terminal (SIGINT to the whole foreground group) then
   * reaches only the parent, which hands its jobs back before it stops the server.
   */
  detached?: boolean;
  /** Told when the server exits after it started, other than through `stop()` (killed, crashed). */
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

const SOCKET_PATH_MAX = 100;

export class RedisServerMissingError extends Error {
  constructor(command: string) {
    super(
      `'${command}' was not found on PATH. Install Redis (Debian/Ubuntu: apt-get install redis-server; ` +
        'macOS: brew install redis), or set REDIS_URL to a running Redis (e.g. REDIS_URL=redis://127.0.0.1:6379).',
    );
    this.name = 'RedisServerMissingError';
  }
}

/** Sends PING over the socket; resolves true on PONG, false on any failure. */
export async function pingSocket(socketPath: string, timeoutMs = 500): Promise<boolean> {
  return (await withSocketConnection(socketPath, (redis) => redis.ping(), timeoutMs)) === 'PONG';
}

/**
 * Sends SHUTDOWN over the socket (for a server this process adopted rather than spawned) and
 * resolves once the server has closed the connection, its AOF written.
 */
async function shutdownSocket(socketPath: string): Promise<void> {
  await withSocketConnection(
    socketPath,
    (redis) =>
      new Promise<void>((resolve) => {
        redis.once('end', resolve);
        // The reply never comes: the server closes the connection as it exits.
        redis.call('SHUTDOWN').catch(() => {});
      }),
    5000,
  );
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Spawns redis-server on a unix socket (TCP off) and resolves once it answers PING. */
export async function spawnRedisServer(options: SpawnRedisOptions): Promise<RedisServerHandle> {
  const command = options.command ?? 'redis-server';
  const socketPath = path.resolve(options.socketPath);
  const dir = path.resolve(options.dir);
  if (Buffer.byteLength(socketPath) > SOCKET_PATH_MAX) {
    throw new Error(
      `unix socket path too long (${Buffer.byteLength(socketPath)} > ${SOCKET_PATH_MAX} bytes): ${socketPath}`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const args = [
    '--port',
    '0',
    '--unixsocket',
    socketPath,
    '--unixsocketperm',
    '700',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    ...(options.args ?? []),
  ];
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const started = await new Promise<'ready' | Error>((resolve) => {
    const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
    let settled = false;
    const settle = (value: 'ready' | Error) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      settle(error.code === 'ENOENT' ? new RedisServerMissingError(command) : error);
    });
    child.once('exit', (code, signal) => {
      settle(
        new Error(`redis-server exited during start (code ${code}, signal ${signal}):\n${output.trim()}`),
      );
    });
    const poll = async () => {
      while (!settled) {
        if (await pingSocket(socketPath)) return settle('ready');
        if (Date.now() > deadline)
          return settle(new Error(`redis-server did not answer within the start timeout:\n${output}`));
        await new Promise((wait) => setTimeout(wait, 25));
      }
    };
    void poll();
  });
  if (started instanceof Error) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill('SIGKILL');
    }
    throw started;
  }
  // The server's output after start is only warnings; keep draining it so the pipe never fills.
  child.stdout?.resume();
  child.stderr?.resume();

  let stopping: Promise<void> | null = null;
  child.once('exit', (code, signal) => {
    if (stopping === null) options.onUnexpectedExit?.(code, signal);
  });
  return {
    url: `unix://${socketPath}`,
    socketPath,
    pid: child.pid ?? null,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        await waitForExit(child, 10_000);
      })();
      return stopping;
    },
  };
}

export interface EmbeddedRedisOptions {
  /** DATA_DIR: the socket, the AOF and redis.log live here. */
  dataDir: string;
  /** Default DATA_DIR/redis.sock, or a short temporary path when that one is too long. */
  socketPath?: string;
  command?: string;
  /** Told when an embedded server left running by an earlier crash is adopted. */
  onAdopt?: (socketPath: string) => void;
  /** Told when the server this call started exits other than through `stop()`. */
  onUnexpectedExit?: SpawnRedisOptions['onUnexpectedExit'];
  /** The AOF's fsync policy (REDIS_APPENDFSYNC); default always. */
  appendfsync?: 'always' | 'everysec';
}

/**
 * The embedded Redis of `npm start`: a redis-server child on `DATA_DIR/redis.sock` with the AOF
 * on (synced before each reply with `appendfsync always`, the default: see REDIS_APPENDFSYNC) and
 * `maxmemory-policy noeviction`, so jobs survive a restart. The server is owned by this process
 * for as long as it lives (embedded-redis-owner.ts). A server already answering on the socket
 * is adopted when nobody owns it (a crashed `npm start` left it running: a child outlives a
 * SIGKILLed parent), rather than started twice on the same files; when a live `npm start` owns
 * it, this call fails with EmbeddedRedisInUseError.
 */
export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<RedisServerHandle> {
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  let socketPath = options.socketPath ?? path.join(dataDir, 'redis.sock');
  // The data stays in DATA_DIR; only the socket moves somewhere short.
  if (Buffer.byteLength(socketPath) > SOCKET_PATH_MAX) socketPath = shortSocketPath(dataDir);
  if (await pingSocket(socketPath)) {
    if (await isOwned(socketPath)) throw new EmbeddedRedisInUseError(dataDir, socketPath);
    options.onAdopt?.(socketPath);
    const owner = await holdOwnership(socketPath);
    let stopping: Promise<void> | null = null;
    return {
      url: `unix://${socketPath}`,
      socketPath,
      pid: null,
      stop() {
        stopping ??= shutdownSocket(socketPath).finally(owner.release);
        return stopping;
      },
    };
  }
  const server = await spawnEmbedded(options, dataDir, socketPath);
  const owner = await holdOwnership(socketPath);
  return { ...server, stop: () => server.stop().finally(owner.release) };
}

/**
 * A socket path for a DATA_DIR too long to hold one: the same for the same DATA_DIR (so a second
 * `npm start` finds the first one's server), in a directory of this user's only.
 */
function shortSocketPath(dataDir: string): string {
  const dir = path.join(
    tmpdir(),
    `descent-redis-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`,
  );
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  const mine = stat.isDirectory() && (process.getuid === undefined || stat.uid === process.getuid());
  // Someone else's (or not a directory): a fresh private one instead.
  return path.join(mine ? dir : mkdtempSync(path.join(tmpdir(), 'descent-redis-')), 'redis.sock');
}

function spawnEmbedded(
  options: EmbeddedRedisOptions,
  dataDir: string,
  socketPath: string,
): Promise<RedisServerHandle> {
  return spawnRedisServer({
    socketPath,
    dir: dataDir,
    command: options.command,
    detached: true,
    onUnexpectedExit: options.onUnexpectedExit,
    args: [
      '--appendonly',
      'yes',
      '--appendfsync',
      options.appendfsync ?? 'always',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--logfile',
      path.join(dataDir, 'redis.log'),
    ],
  });
}
