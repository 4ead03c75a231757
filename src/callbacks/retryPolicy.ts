/**
 * When a status callback that did not get through is tried again, and when.
 *
 * The rule, in short: 2xx is delivered; no answer, a timeout, 5xx, 429 and 408 are tried again with
 * exponential backoff and jitter up to `maxAttempts`; any other answer (3xx, other 4xx) gives up at once,
 * because the receiver saw the callback and refused it, and the same signed bytes would be refused again.
 * That follows Twilio, which retries callbacks on connection failures and server errors only; redirects are
 * not followed since the signature covers the URL the app configured.
 */
import type { DeliveryResult } from './deliver.js';

export const CALLBACK_RETRY = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 5 * 60_000, timeoutMs: 15_000 };

export type CallbackRetryPolicy = typeof CALLBACK_RETRY;

/**
 * Whether the receiver accepted the callback.
 *
 * @example
 *   isDelivered({ kind: 'response', status: 204 }); // true
 */
export function isDelivered(result: DeliveryResult): boolean {
  return result.kind === 'response' && result.status >= 200 && result.status < 300;
}

/**
 * Whether a callback whose latest attempt ended with `result` should be sent again; `attempts` counts every
 * attempt made so far, that one included.
 *
 * @example
 *   shouldRetry({ kind: 'response', status: 503 }, 1); // true
 *   shouldRetry({ kind: 'response', status: 404 }, 1); // false: the row becomes failed
 */
export function shouldRetry(result: DeliveryResult, attempts: number, policy: CallbackRetryPolicy = CALLBACK_RETRY): boolean {
  // 1. Delivered: nothing left to do.
  if (isDelivered(result)) return false;
  // 2. A URL or body that cannot be sent will not become sendable by waiting.
  if (result.kind === 'unsendable') return false;
  // 3. Out of attempts: give up, so the session's later callbacks can go.
  if (attempts >= policy.maxAttempts) return false;
  // 4. No answer at all (refused, reset, DNS, timeout): the receiver may be restarting or overloaded.
  if (result.kind === 'no-response') return true;
  // 5. The receiver asks us to come back later.
  if (result.status === 429 || result.status === 408) return true;
  // 6. Server errors are usually temporary.
  if (result.status >= 500) return true;
  // 7. Any other answer is a refusal of this very callback; sending it again would be refused again.
  return false;
}

/**
 * When to try again after the `attempts`-th failed attempt: `baseDelayMs * 2^(attempts-1)`, capped at
 * `maxDelayMs`, then scaled into its upper half at random so that the sessions an outage held back do not all
 * come back in the same instant.
 *
 * @example
 *   nextAttemptAt(now, 1, Math.random); // now + 500..1000 ms
 *   nextAttemptAt(now, 3, Math.random); // now + 2000..4000 ms
 */
export function nextAttemptAt(now: number, attempts: number, random: () => number, policy: CallbackRetryPolicy = CALLBACK_RETRY): number {
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return now + Math.round(backoff / 2 + (random() * backoff) / 2);
}
