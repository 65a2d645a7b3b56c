import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Redis } from 'ioredis';
import { toComparisonResource } from '../api/comparison-resource.ts';
import { toJobResource } from '../api/job-resource.ts';
import type { ComparisonStore } from '../store/comparisons.ts';
import type { WebhookDeliveries } from '../store/contract.ts';
import type { JobRecords } from '../store/job-records.ts';
import type { StoreKeys } from '../store/keys.ts';
import { runScript } from '../store/scripts.ts';
import { connectAddress, type DestinationPolicy } from './destination.ts';
import { signatureHeader } from './signature.ts';

/**
 * One webhook delivery attempt: the final Job or Comparison as `{type, data}`, signed, POSTed to
 * the spec's URL over a connection to the address that was checked just before (the request's
 * `lookup` returns it, so the name cannot be re-resolved elsewhere in between), within
 * `timeoutMs`; the attempt is logged on the record (`webhook.deliveries`).
 */

export interface WebhookPayload {
  url: string;
  body: string;
  /** The record that carries the delivery log. */
  logKey: string;
}

/** The payload of an outbox entry (`job-{id}`, `comparison-{id}`); null when its record is gone. */
export async function loadPayload(
  entry: string,
  stores: { jobs: JobRecords; comparisons: ComparisonStore; keys: StoreKeys },
): Promise<WebhookPayload | null> {
  const dash = entry.indexOf('-');
  const kind = entry.slice(0, dash);
  const id = entry.slice(dash + 1);
  if (kind === 'job') {
    const record = await stores.jobs.get(id);
    if (record === null || record.webhook === undefined) return null;
    const body = JSON.stringify({ type: 'job.finished', data: toJobResource(record) });
    return { url: record.webhook.url, body, logKey: stores.keys.job(id) };
  }
  if (kind === 'comparison') {
    const found = await stores.comparisons.withMembers(id);
    if (found === null || found.comparison.webhook === undefined) return null;
    const data = toComparisonResource(found.comparison, found.jobs);
    const body = JSON.stringify({ type: 'comparison.finished', data });
    return { url: found.comparison.webhook.url, body, logKey: stores.keys.comparison(id) };
  }
  return null;
}

export interface PostOptions {
  policy: DestinationPolicy;
  timeoutMs: number;
  secret: string;
  deliveryId: string;
}

/** POSTs `body` to `url`; resolves to the response status. Throws DestinationRefusedError before connecting to a refused address. */
export async function postWebhook(urlText: string, body: string, options: PostOptions): Promise<number> {
  const url = new URL(urlText);
  const signal = AbortSignal.timeout(options.timeoutMs);
  const target = await connectAddress(url, options.policy);
  const lookup: LookupFunction = (_host, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [target]);
    else callback(null, target.address, target.family);
  };
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': 'descent-webhooks',
    'descent-signature': signatureHeader(options.secret, body, Math.floor(Date.now() / 1000)),
    'descent-delivery': options.deliveryId,
  };
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<number>((resolve, reject) => {
    const request = transport.request(url, { method: 'POST', headers, lookup, signal }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.on('error', (error) =>
      reject(signal.aborted ? new Error(`no answer within ${options.timeoutMs} ms`) : error),
    );
    request.end(body);
  });
}

/** Writes the delivery log on its record, if the record is still there. */
export async function logDelivery(redis: Redis, key: string, deliveries: WebhookDeliveries): Promise<void> {
  await runScript(redis, 'descentSetWebhookLog', [key], [JSON.stringify(deliveries)]);
}
