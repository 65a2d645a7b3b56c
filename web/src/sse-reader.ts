import { createParser } from 'eventsource-parser';
import { errorOf } from './api-client.ts';
import { authorizationHeaders } from './api-key.ts';

/**
 * Reads a Server-Sent Events stream with fetch and a stream reader: one code path with or
 * without an API key (EventSource cannot send an Authorization header). After a drop (network
 * error, server restart, a stream that ends without `end`) it reconnects with `Last-Event-ID`:
 * the id of the last event received (a job's last point `i`, a comparison's resume token), so no
 * point is lost or repeated. It stops at `end`, on abort, or on an error answer (4xx: a deleted
 * job, a bad key), which it throws.
 */

export interface StreamEvent {
  event: string;
  data: string;
  id: string | undefined;
}

export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'ended';

export interface ReadStreamOptions {
  url: string;
  onEvent(event: StreamEvent): void;
  onState?(state: StreamState): void;
  signal: AbortSignal;
  /** The id to resume after (a link opened on a view that already has points). */
  lastEventId?: string;
}

/** Reconnect delays grow from the server's `retry:` to this. */
const MAX_RETRY_MS = 10_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function readEventStream(options: ReadStreamOptions): Promise<void> {
  const { signal } = options;
  let lastEventId = options.lastEventId;
  let retryMs = 1000;
  let failures = 0;
  let ended = false;
  options.onState?.('connecting');
  while (!signal.aborted && !ended) {
    let response: Response;
    try {
      response = await fetch(options.url, {
        headers: {
          accept: 'text/event-stream',
          ...authorizationHeaders(),
          ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
        },
        signal,
        cache: 'no-store',
      });
    } catch {
      if (signal.aborted) return;
      failures++;
      options.onState?.('reconnecting');
      await sleep(Math.min(MAX_RETRY_MS, retryMs * failures), signal);
      continue;
    }
    // 502-504: a proxy or a restarting server; anything else is the answer.
    if (!response.ok && ![502, 503, 504].includes(response.status)) throw await errorOf(response);
    if (response.ok && response.body !== null) {
      options.onState?.('open');
      failures = 0;
      const parser = createParser({
        onEvent(message) {
          if (message.id !== undefined) lastEventId = message.id;
          const event = message.event ?? 'message';
          if (event === 'end') ended = true;
          options.onEvent({ event, data: message.data, id: message.id });
        },
        onRetry(ms) {
          retryMs = ms;
        },
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
      } catch {
        // A dropped connection: reconnect below.
      }
    }
    if (ended || signal.aborted) break;
    failures++;
    options.onState?.('reconnecting');
    await sleep(Math.min(MAX_RETRY_MS, retryMs * failures), signal);
  }
  options.onState?.('ended');
}
