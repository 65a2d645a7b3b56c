import { createConnection } from 'node:net';

/**
 * Sends one inline command to the Redis on a unix socket, over a connection of its own, and
 * resolves with its reply: a simple reply's or error's line (`+PONG`, `-ERR …`), or a bulk
 * string's content; null when the connection fails or nothing answers within `timeoutMs`. For
 * the few raw exchanges with an embedded server that need no client library (readiness,
 * ownership).
 */
export function askSocket(socketPath: string, command: string, timeoutMs = 1000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = createConnection({ path: socketPath });
    let reply = Buffer.alloc(0);
    const done = (text: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      const head = reply.indexOf('\r\n');
      if (head < 0) return;
      if (reply[0] !== 0x24 /* $ */) return done(reply.toString('utf8', 0, head));
      const length = Number(reply.toString('latin1', 1, head));
      if (reply.length >= head + 2 + length + 2) done(reply.toString('utf8', head + 2, head + 2 + length));
    });
    socket.on('error', () => done(null));
  });
}
