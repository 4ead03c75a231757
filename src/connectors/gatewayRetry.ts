/**
 * The one retry policy for gateway calls (Generic Pay Connector and Stripe alike): the connector that talks
 * to a gateway owns its retries, and every retry carries the same transaction id / idempotency key, so a
 * gateway that did receive an earlier attempt answers with that transaction instead of making another.
 *
 * The rule, in short: an attempt that ends without an answer (refused, reset, timed out) or with an answer
 * that says "come back later" (408, 429, 502, 503, 504, or Stripe's equivalents) is tried again with
 * exponential backoff and jitter, up to `maxAttempts` in all (the first try and 5 retries). Any other answer,
 * a decline included, is final. Shutting down stops the loop without an answer, so the session stays
 * `completing` and the next start reconciles it.
 *
 * @example
 *   const result = await withGatewayRetries(async () => {
 *     const response = await send();                       // same transaction id every time
 *     return isBusy(response) ? { retry: `HTTP ${response.status}` } : { answer: response };
 *   }, { policy: GATEWAY_RETRY, signal });
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { nextAttemptAt } from '../callbacks/retryPolicy.js';

export interface GatewayRetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long one attempt may take before it counts as unanswered. */
  timeoutMs: number;
}

/** Twilio's Generic Pay Connector contract: 10 s per attempt, up to 5 retries. */
export const GATEWAY_RETRY: GatewayRetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 8_000, timeoutMs: 10_000 };

/** The HTTP statuses that mean "not now" rather than "no". */
export const BUSY_STATUSES: ReadonlySet<number> = new Set([408, 429, 502, 503, 504]);

export type AttemptResult<T> = { answer: T } | { retry: string };

export type RetriedResult<T> = { answered: true; answer: T; attempts: number } | { answered: false; lastError: string; attempts: number };

/** Thrown when the process is shutting down: nothing was decided, the transaction is left to reconcile. */
export class GatewayCallStopped extends Error {
  constructor() {
    super('the gateway call was stopped because paytone is shutting down');
    this.name = 'GatewayCallStopped';
  }
}

/**
 * Runs `attempt` until it gives an answer or the attempts run out. `attempt` receives a signal that ends
 * the attempt at the policy's timeout (or at shutdown).
 */
export async function withGatewayRetries<T>(
  attempt: (signal: AbortSignal, attemptNumber: number) => Promise<AttemptResult<T>>,
  options: { policy: GatewayRetryPolicy; signal: AbortSignal; random?: () => number; onRetry?: (attemptNumber: number, reason: string) => void },
): Promise<RetriedResult<T>> {
  const { policy, signal } = options;
  let lastError = 'no attempt was made';
  for (let attempts = 1; attempts <= policy.maxAttempts; attempts++) {
    if (signal.aborted) throw new GatewayCallStopped();
    const deadline = attemptDeadline(signal, policy.timeoutMs);
    const result = await attempt(deadline.signal, attempts).finally(deadline.clear);
    if (signal.aborted) throw new GatewayCallStopped();
    if ('answer' in result) return { answered: true, answer: result.answer, attempts };
    lastError = result.retry;
    if (attempts === policy.maxAttempts) break;
    options.onRetry?.(attempts, lastError);
    const delay = nextAttemptAt(0, attempts, options.random ?? Math.random, policy);
    await sleep(delay, undefined, { signal }).catch(() => undefined);
  }
  return { answered: false, lastError, attempts: policy.maxAttempts };
}

/**
 * One attempt's deadline, joined with the shutdown signal. The timer is our own and holds its controller,
 * because Node 20 may collect an `AbortSignal.timeout()` that only `AbortSignal.any()` refers to before it
 * fires (nodejs/node#57736); the attempt then hung until undici's 300 s headers timeout.
 */
function attemptDeadline(signal: AbortSignal, timeoutMs: number): { signal: AbortSignal; clear: () => void } {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException('The gateway did not answer in time.', 'TimeoutError')), timeoutMs);
  return { signal: AbortSignal.any([signal, deadline.signal]), clear: () => clearTimeout(timer) };
}

/** Why an attempt got no answer, in words for a log line and the ConnectorError (never a request body). */
export function unansweredReason(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'timeout';
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.name : 'network_error';
}
