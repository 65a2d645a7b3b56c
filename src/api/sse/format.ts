/** Server-Sent Events wire format (WHATWG HTML, "Server-sent events"). */

/** One event: `event:` name, optional `id:`, and the JSON data on one `data:` line. */
export function formatEvent(event: string, data: unknown, id?: number | string): string {
  // JSON.stringify never emits a raw newline, so the data fits on a single `data:` line.
  const idLine = id === undefined ? '' : `id: ${id}\n`;
  return `event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: ignored by clients, keeps proxies from closing an idle stream. */
export const PING = ': ping\n\n';

/** Sent once at the start: how long a client waits before reconnecting after a drop (ms). */
export function formatRetry(ms: number): string {
  return `retry: ${ms}\n\n`;
}
