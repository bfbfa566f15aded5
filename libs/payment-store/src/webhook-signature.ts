import { createHmac, timingSafeEqual } from 'node:crypto';

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** The signature of a provider notification: HMAC-SHA256 of its raw body under the shared secret, hex. */
export function signWebhook(secret: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

/**
 * Whether `signature` (the X-Signature header) signs exactly these bytes. Compared in constant time, so the answer's
 * timing says nothing about how much of a forged signature was right; anything but 64 hex digits is refused.
 */
export function verifyWebhook(secret: string, rawBody: Buffer, signature: unknown): boolean {
  if (typeof signature !== 'string' || !HEX_SHA256.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(signature, 'hex'), expected);
}
