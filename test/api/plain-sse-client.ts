import { readEvents, type StreamEvent } from '../../src/cli/event-stream.ts';

/**
 * A plain SSE client, as the README's Python loop or curl: one request, no reconnect. It reads
 * every event until the server closes the stream, so a test can tell a stream that ended with
 * `end` from one that was closed early.
 */
export async function readEventStreamOnce(
  url: string,
  headers: Record<string, string> = {},
): Promise<StreamEvent[]> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const events: StreamEvent[] = [];
  for await (const event of readEvents(response.body as unknown as AsyncIterable<Uint8Array>))
    events.push(event);
  return events;
}

/** The points of a stream's `points` events, in order. */
export function pointsOf(events: StreamEvent[]): { i: number }[] {
  return events
    .filter((event) => event.event === 'points')
    .flatMap((event) => (JSON.parse(event.data) as { points: { i: number }[] }).points);
}
