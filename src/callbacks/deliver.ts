/**
 * One attempt at one status callback: a single signed, form-encoded HTTP POST, and what came of it.
 * Deciding whether to try again is the retry policy's job; remembering the outcome is the outbox's.
 *
 * The result never carries the response body or the request parameters, only a status or a short reason,
 * so it can be stored and logged as is.
 */
import { request, type Dispatcher } from 'undici';
import { CALLBACK_ADDRESS_REFUSED } from './addressGuard.js';

export interface CallbackPost {
  /** The StatusCallback URL exactly as stored. */
  url: string;
  /** The callback's form parameters (masked); each name is sent once. */
  params: Record<string, string>;
  /** `X-Twilio-Signature`, computed over `url` and `params`. */
  signature: string;
  /** `I-Twilio-Idempotency-Token`: the same on every attempt of one callback, so receivers can dedupe. */
  idempotencyToken: string;
  userAgent: string;
  /** Limit for connecting and receiving the response headers, and again for the response body. */
  timeoutMs: number;
}

export type DeliveryResult =
  /** The receiver answered with this HTTP status. */
  | { kind: 'response'; status: number }
  /** No answer: connection refused or reset, DNS failure, timeout, or the signing key could not be read. */
  | { kind: 'no-response'; error: string }
  /** The callback cannot be sent as stored (malformed URL or parameters); trying again cannot help. */
  | { kind: 'unsendable'; error: string };

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/**
 * POSTs one callback through `dispatcher` (an undici `Agent` that keeps connections alive).
 *
 * @example
 *   const result = await postCallback(agent, { url, params, signature, idempotencyToken: `${sid}-${seq}`, userAgent: 'TwilioProxy/1.1', timeoutMs: 15_000 });
 *   if (result.kind === 'response' && result.status < 300) markDelivered();
 */
export async function postCallback(dispatcher: Dispatcher, post: CallbackPost): Promise<DeliveryResult> {
  let target: URL;
  try {
    target = new URL(post.url);
  } catch {
    return { kind: 'unsendable', error: 'invalid url' };
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return { kind: 'unsendable', error: 'unsupported url scheme' };
  }
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-twilio-signature': post.signature,
    'i-twilio-idempotency-token': post.idempotencyToken,
    'user-agent': post.userAgent,
  };
  if (target.username !== '' || target.password !== '') {
    // Twilio sends the credentials of a `https://user:pass@host/...` callback URL as HTTP Basic auth;
    // undici would silently drop them. The signature still covers the URL as configured.
    const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
    headers['authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  let status: number;
  // undici's own headersTimeout ticks in half-second steps; an abort keeps short limits exact. The timer is cleared
  // once the answer is in (AbortSignal.timeout would keep one timer and signal alive per callback for the whole
  // limit, thousands at a time while callers type).
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new DOMException('the receiver did not answer in time', 'TimeoutError')), post.timeoutMs);
  try {
    const response = await request(target.href, {
      method: 'POST',
      dispatcher,
      headers,
      body: new URLSearchParams(post.params).toString(),
      signal: abort.signal,
      bodyTimeout: post.timeoutMs,
    });
    status = response.statusCode;
    // The status is the answer; a body that stalls or breaks afterwards does not change it.
    await response.body.dump().catch(() => undefined);
  } catch (err) {
    const refused = [err, (err as { cause?: unknown } | null)?.cause].find(
      (e) => (e as { code?: unknown } | null)?.code === CALLBACK_ADDRESS_REFUSED,
    );
    if (refused) return { kind: 'unsendable', error: `refused by the callback policy: the host ${(refused as Error).message}` };
    return { kind: 'no-response', error: describeNetworkError(err) };
  } finally {
    clearTimeout(timer);
  }
  return { kind: 'response', status };
}

/** A short, stable reason for a failed connection ('timeout', 'ECONNREFUSED'), never the error's message. */
function describeNetworkError(err: unknown): string {
  if ((err as { name?: unknown } | null)?.name === 'TimeoutError') return 'timeout';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'network error';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (code === 'UND_ERR_SOCKET') return 'connection closed';
  return code;
}
