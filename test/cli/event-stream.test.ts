import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  followEvents,
  readEvents,
  type StreamEvent,
  StreamLostError,
  StreamRefusedError,
} from '../../src/cli/event-stream.ts';

/** The CLI's SSE client against a plain HTTP server that writes the stream byte by byte as told. */

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
}

/** A body that yields these chunks (split wherever the test wants, even inside CRLF). */
async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  for (const part of parts) yield encoder.encode(part);
}

async function collect(events: AsyncIterable<StreamEvent>, until?: (event: StreamEvent) => boolean) {
  const out: StreamEvent[] = [];
  for await (const event of events) {
    out.push(event);
    if (until?.(event)) break;
  }
  return out;
}

describe('readEvents', () => {
  it('parses CR line ends', async () => {
    const events = await collect(readEvents(chunks('event: points\rid: 7\rdata: {"i":7}\r\r', ': ping\r\r')));
    expect(events).toEqual([{ event: 'points', id: '7', data: '{"i":7}' }]);
  });

  it('parses CRLF line ends, also split between the CR and the LF', async () => {
    const events = await collect(
      readEvents(chunks('event: status\r', '\ndata: {"a":1}\r\n', '\r', '\nevent: end\r\ndata: {}\r\n\r\n')),
    );
    expect(events).toEqual([
      { event: 'status', id: undefined, data: '{"a":1}' },
      { event: 'end', id: undefined, data: '{}' },
    ]);
  });

  it('joins multi-line data with LF, defaults the type to message, and reports retry', async () => {
    const retries: number[] = [];
    const events = await collect(
      readEvents(chunks('retry: 250\n\ndata: first\ndata:  second\ndata\n\n'), (ms) => retries.push(ms)),
    );
    expect(events).toEqual([{ event: 'message', id: undefined, data: 'first\n second\n' }]);
    expect(retries).toEqual([250]);
  });
});

describe('followEvents', () => {
  it('reconnects with Last-Event-ID after a drop, so nothing is lost or repeated', async () => {
    const requests: (string | undefined)[] = [];
    const url = await serve((request, response) => {
      requests.push(request.headers['last-event-id'] as string | undefined);
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      if (requests.length === 1) {
        response.write(
          'retry: 10\n\nevent: points\nid: 1\ndata: [0,1]\n\nevent: points\nid: 3\ndata: [2,3]\n\n',
        );
        // Dropped mid-event: the half-written block is not an event.
        response.write('event: points\nid: 5\ndata: [4,');
        setTimeout(() => response.socket?.destroy(), 20);
        return;
      }
      const after = Number(request.headers['last-event-id']);
      response.write(`event: points\nid: 5\ndata: [${after + 1},5]\n\nevent: end\ndata: {}\n\n`);
    });
    const reconnects: string[] = [];
    const events = await collect(
      followEvents(url, { onReconnect: (reason) => reconnects.push(reason) }),
      (event) => event.event === 'end',
    );
    expect(requests).toEqual([undefined, '3']);
    expect(reconnects).toHaveLength(1);
    expect(events.map((event) => [event.event, event.data])).toEqual([
      ['points', '[0,1]'],
      ['points', '[2,3]'],
      ['points', '[4,5]'],
      ['end', '{}'],
    ]);
  });

  it('sends the given Last-Event-ID on the first request and the headers on every one', async () => {
    const seen: [string | undefined, string | undefined][] = [];
    const url = await serve((request, response) => {
      seen.push([request.headers['last-event-id'] as string | undefined, request.headers.authorization]);
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end('event: end\ndata: {}\n\n');
    });
    await collect(
      followEvents(url, { lastEventId: '41', headers: { authorization: 'Bearer k' } }),
      () => true,
    );
    expect(seen).toEqual([['41', 'Bearer k']]);
  });

  it('gives up a refused stream at once with its body, and a dead one after the fruitless reconnects', async () => {
    const url = await serve((_request, response) => {
      response.writeHead(404, { 'content-type': 'application/problem+json' });
      response.end('{"status":404,"detail":"no job"}');
    });
    const refused = await collect(followEvents(url)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StreamRefusedError);
    expect((refused as StreamRefusedError).status).toBe(404);
    expect((refused as StreamRefusedError).body).toBe('{"status":404,"detail":"no job"}');

    // The server gone: every reconnect is refused by the network.
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    const lost = await collect(followEvents(url, { delayMs: 1, maxFruitless: 2 })).catch(
      (error: unknown) => error,
    );
    expect(lost).toBeInstanceOf(StreamLostError);
    expect((lost as StreamLostError).reason).toBe('ECONNREFUSED');
  });
});
