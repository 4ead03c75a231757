/**
 * Twilio's request signature for status callbacks (`X-Twilio-Signature`), in both directions: paytone signs
 * every callback it sends, and apps or tests can verify one without the `twilio` package.
 *
 * The signed string is the URL exactly as configured (query string and any `user:pass@` included, as Twilio
 * does), followed by every form parameter as `name + value`, names in sorted order; the key is the account's
 * auth token, the digest HMAC-SHA1 in base64.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The `X-Twilio-Signature` header value for a callback.
 *
 * @example
 *   const header = signCallback(authToken, 'https://app.example/pay-status', { Sid: 'PK...', Capture: 'payment-card-number' });
 */
export function signCallback(authToken: string, url: string, params: Record<string, string>): string {
  // Sorted by UTF-16 code units, as Array#sort does, so the result matches twilio.validateRequest byte for byte.
  const signed = Object.keys(params)
    .sort()
    .reduce((text, name) => text + name + (params[name] ?? ''), url);
  return createHmac('sha1', authToken).update(signed, 'utf8').digest('base64');
}

/**
 * Whether `signature` is the one paytone would send for this URL and these parameters. Compares in constant
 * time. The URL must be the exact string the callback was sent to.
 *
 * @example
 *   if (!verifyCallback(authToken, req.headers['x-twilio-signature'], fullUrl, formFields)) reply.code(403);
 */
export function verifyCallback(authToken: string, signature: string, url: string, params: Record<string, string>): boolean {
  const expected = Buffer.from(signCallback(authToken, url, params));
  const given = Buffer.from(signature);
  // The length of a SHA-1 digest in base64 is public, so returning early on a mismatch leaks nothing.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
