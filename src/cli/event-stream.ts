import { setTimeout as sleep } from 'node:timers/promises';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * A Server-Sent Events client for the CLI: the `text/event-stream` format is parsed by
 * eventsource-parser (CR, LF and CRLF line ends, multi-line `data:`, comments, `retry:`), and the
 * stream is followed across drops by reconnecting with `Last-Event-ID`. It is not the `eventsource`
 * client: that one hands events to callbacks as they come, and the CLI must hold the stream while
 * stdout is slow (a pipe into `head` or a file), and read a refusal's problem+json body.
 */

export interface StreamEvent {
  /** The event type; `message` when the block names none. */
  event: string;
  data: string;
  /** The block's `id:`, if it had one. */
  id: string | undefined;
}

/** The server refused the stream (4xx): retrying would be refused again. */
export class StreamRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly body: string,
  ) {
    super(`HTTP ${status}`);
    this.name = 'StreamRefusedError';
  }
}

/** Reconnects in a row received nothing: the stream is given up. */
export class StreamLostError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'StreamLostError';
  }
}

/**
 * The events of one response body, in order, as its chunks arrive; `onRetry` gets each `retry:`.
 * The body is read only as fast as the caller takes events.
 */
export async function* readEvents(
  body: AsyncIterable<Uint8Array>,
  onRetry: (ms: number) => void = () => {},
): AsyncGenerator<StreamEvent> {
  const pending: StreamEvent[] = [];
  const parser = createParser({
    onEvent: (message: EventSourceMessage) =>
      pending.push({ event: message.event ?? 'message', data: message.data, id: message.id }),
    onRetry,
  });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (pending.length > 0) yield pending.shift() as StreamEvent;
  }
}

export interface FollowOptions {
  headers?: Record<string, string>;
  /** Resume after this id (sent as Last-Event-ID on the first request too). */
  lastEventId?: string;
  /** Told before each reconnect, with the reason. */
  onReconnect?: (reason: string) => void;
  /** First wait before a reconnect (doubled each time, up to maxDelayMs), unless the server sent `retry:`. */
  delayMs?: number;
  maxDelayMs?: number;
  /** Reconnects in a row that receive nothing before {@link StreamLostError}. */
  maxFruitless?: number;
}

/** Why a request or stream failed, in a few words (`ECONNREFUSED`, `HTTP 502`). */
export function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/**
 * The events of `url` for as long as the caller iterates: a stream that closes or fails is
 * reopened with `Last-Event-ID` set to the last id received, so the server resumes after it. The
 * caller ends it by leaving the loop (at `end`). A 4xx is a {@link StreamRefusedError}; a 5xx or a
 * network error is retried.
 */
export async function* followEvents(url: string, options: FollowOptions = {}): AsyncGenerator<StreamEvent> {
  const baseDelayMs = options.delayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const maxFruitless = options.maxFruitless ?? 20;
  let lastEventId = options.lastEventId;
  let retryMs: number | undefined;
  let delayMs = baseDelayMs;
  let fruitless = 0;
  for (;;) {
    let received = false;
    try {
      const headers: Record<string, string> = { ...options.headers, accept: 'text/event-stream' };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      const response = await fetch(url, { headers });
      if (!response.ok) {
        const body = await response.text();
        if (response.status < 500) throw new StreamRefusedError(response.status, response.statusText, body);
        throw new Error(`HTTP ${response.status}`);
      }
      if (response.body === null) throw new Error('empty response body');
      const body = response.body as unknown as AsyncIterable<Uint8Array>;
      for await (const event of readEvents(body, (ms) => (retryMs = ms))) {
        received = true;
        if (event.id !== undefined) lastEventId = event.id;
        yield event;
      }
      throw new Error('stream closed before the end event');
    } catch (error) {
      if (error instanceof StreamRefusedError) throw error;
      if (received) {
        fruitless = 0;
        delayMs = baseDelayMs;
      } else if (++fruitless > maxFruitless) {
        throw new StreamLostError(describeFetchError(error));
      }
      options.onReconnect?.(describeFetchError(error));
      await sleep(retryMs ?? delayMs);
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
  }
}
