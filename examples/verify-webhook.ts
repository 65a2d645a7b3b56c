import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verifies a descent webhook: `signature` is the Descent-Signature header, `body` the raw request
 * body (as received, before any JSON parsing), `secret` the server's WEBHOOK_SECRET. Refuses
 * signatures older than `toleranceSeconds` (a replayed delivery).
 */
export function verifyDescentSignature(
  signature: string,
  body: string,
  secret: string,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const parts = new Map(signature.split(',').map((part) => part.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = Buffer.from(parts.get('v1') ?? '', 'hex');
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
