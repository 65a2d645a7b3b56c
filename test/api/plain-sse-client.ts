import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * A plain SSE client, as the README's Python loop or curl: one request, no reconnect. It reads
 * every event until the server closes the stream, so a test can tell a stream that ended with
 * `end` from one that was closed early.
 */
export async function readEventStreamOnce(
  url: string,
  headers: Record<string, string> = {},
): Promise<EventSourceMessage[]> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
  }
  return events;
}

/** The points of a stream's `points` events, in order. */
export function pointsOf(events: EventSourceMessage[]): { i: number }[] {
  return events
    .filter((event) => event.event === 'points')
    .flatMap((event) => (JSON.parse(event.data) as { points: { i: number }[] }).points);
}
