/**
 * One attempt at one status callback: a single signed, form-encoded HTTP POST, and what came of it.
 * Deciding whether to try again is the retry policy's job; remembering the outcome is the outbox's.
 *
 * The result never carries the response body or the request parameters, only a status or a short reason,
 * so it can be stored and logged as is.
 */
import type { Dispatcher } from 'undici';
import { CALLBACK_ADDRESS_REFUSED } from './addressGuard.js';
import { withQuery } from './signedRequest.js';

export interface CallbackPost {
  /** The StatusCallback URL exactly as stored. */
  url: string;
  /** The callback's form parameters (masked); each name is sent once. */
  params: Record<string, string>;
  /** POST (a form body, the default) or GET (the parameters appended to the URL's query string). */
  method?: 'GET' | 'POST';
  /** `X-Twilio-Signature`, as `signedRequest` computes it for this URL, method and parameters. */
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

/** Response bodies are not read, only drained so the connection can carry the next callback; past this, it is cut. */
const MAX_DRAINED_BYTES = 128 * 1024;

/**
 * POSTs one callback through `dispatcher` (an undici `Agent` that keeps connections alive).
 *
 * It uses undici's `dispatch` rather than `request`: the answer is the status line, so no response stream or abort
 * signal is built for each callback (they cost more than the rest of the POST, and a busy sender makes thousands a
 * second). The limit is one timer of ours, cleared when the status arrives (exact, where undici's own limits past one
 * second tick in half-second steps): it covers waiting for a connection, sending, and the response headers. The body
 * is then drained in the background, up to `MAX_DRAINED_BYTES` and within undici's `bodyTimeout`; a body that stalls
 * or breaks does not change the answer.
 *
 * @example
 *   const result = await postCallback(agent, { url, params, signature, idempotencyToken: `${sid}-${seq}`, userAgent: 'TwilioProxy/1.1', timeoutMs: 15_000 });
 *   if (result.kind === 'response' && result.status < 300) markDelivered();
 */
export function postCallback(dispatcher: Dispatcher, post: CallbackPost): Promise<DeliveryResult> {
  const get = post.method === 'GET';
  let target: URL;
  try {
    target = new URL(get ? withQuery(post.url, post.params) : post.url);
  } catch {
    return Promise.resolve({ kind: 'unsendable', error: 'invalid url' });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return Promise.resolve({ kind: 'unsendable', error: 'unsupported url scheme' });
  }
  const headers: Record<string, string> = {
    ...(get ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
    'x-twilio-signature': post.signature,
    'i-twilio-idempotency-token': post.idempotencyToken,
    'user-agent': post.userAgent,
  };
  if (target.username !== '' || target.password !== '') {
    // Twilio sends the credentials of a `https://user:pass@host/...` callback URL as HTTP Basic auth; they never
    // go in the request line. The signature still covers the URL as configured.
    const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
    headers['authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  return new Promise((resolve) => {
    let result: DeliveryResult | null = null;
    let request: Dispatcher.DispatchController | null = null;
    let drained = 0;
    const settle = (outcome: DeliveryResult): void => {
      if (result !== null) return;
      result = outcome;
      clearTimeout(timer);
      resolve(outcome);
    };
    const tooLate = () => new DOMException('the receiver did not answer in time', 'TimeoutError');
    const timer = setTimeout(() => {
      settle({ kind: 'no-response', error: 'timeout' });
      request?.abort(tooLate());
    }, post.timeoutMs);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(controller) {
        request = controller;
        // The limit passed while the callback waited for a connection: it is not sent late.
        if (result !== null) controller.abort(tooLate());
      },
      onResponseStart(_controller, statusCode) {
        // 1xx answers are not the answer; undici passes them here too.
        if (statusCode >= 200) settle({ kind: 'response', status: statusCode });
      },
      onResponseData(controller, chunk) {
        drained += chunk.length;
        if (drained > MAX_DRAINED_BYTES) controller.abort(new Error('callback response body too large'));
      },
      onResponseError(_controller, err) {
        settle(failure(err));
      },
    };
    try {
      dispatcher.dispatch(
        {
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method: get ? 'GET' : 'POST',
          headers,
          body: get ? null : new URLSearchParams(post.params).toString(),
          headersTimeout: post.timeoutMs,
          bodyTimeout: post.timeoutMs,
        },
        handler,
      );
    } catch (err) {
      settle(failure(err));
    }
  });
}

/** What a failed attempt reports: a refused address is final; anything else is a network failure to retry. */
function failure(err: unknown): DeliveryResult {
  const refused = [err, (err as { cause?: unknown } | null)?.cause].find((e) => (e as { code?: unknown } | null)?.code === CALLBACK_ADDRESS_REFUSED);
  if (refused) return { kind: 'unsendable', error: `refused by the callback policy: the host ${(refused as Error).message}` };
  return { kind: 'no-response', error: describeNetworkError(err) };
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
