import { createHmac } from 'node:crypto';

/**
 * `Descent-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with WEBHOOK_SECRET>`
 * (API.md "Webhooks"). The timestamp is inside the MAC, so a receiver that also checks it is
 * recent refuses a replayed delivery; `v1=` names the scheme so a later one can be added beside it.
 * A receiver verifies as examples/verify-webhook.ts (or .py) shows.
 */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}
