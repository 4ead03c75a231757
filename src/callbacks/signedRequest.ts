/**
 * A request to an app's URL as Twilio makes it, by POST or GET: POST sends the parameters as a form body and
 * signs the URL plus the sorted parameters; GET appends them to the URL's query string and signs that whole URL
 * with no parameters. Either way `twilio.validateRequest(token, signature, url, body)` accepts it. Status
 * callbacks and voice webhooks are both made this way.
 *
 * @example
 *   const request = signedRequest(authToken, 'https://app.example/voice', 'GET', { CallSid: 'CA...' });
 *   // request.url: 'https://app.example/voice?CallSid=CA...', request.body: null, request.signature: '...'
 */
import { signCallback } from './signature.js';

export interface SignedRequest {
  /** Where the request goes: the URL as configured, with the parameters appended for GET. */
  url: string;
  method: 'GET' | 'POST';
  /** The form body for POST; null for GET. */
  body: string | null;
  /** `X-Twilio-Signature`. */
  signature: string;
}

export function signedRequest(signingKey: string, url: string, method: 'GET' | 'POST', params: Record<string, string>): SignedRequest {
  const signature = requestSignature(signingKey, url, method, params);
  if (method === 'POST') return { url, method, body: new URLSearchParams(params).toString(), signature };
  return { url: withQuery(url, params), method, body: null, signature };
}

/**
 * `X-Twilio-Signature` of a request to `url` by `method` with these parameters.
 *
 * @example
 *   requestSignature(authToken, 'https://app.example/status', 'GET', { CallSid: 'CA1' }) // signs '...status?CallSid=CA1'
 */
export function requestSignature(signingKey: string, url: string, method: 'GET' | 'POST', params: Record<string, string>): string {
  return method === 'POST' ? signCallback(signingKey, url, params) : signCallback(signingKey, withQuery(url, params), {});
}

/**
 * The URL with the parameters appended to its query string, as a GET request carries them.
 *
 * @example
 *   withQuery('https://app.example/status?desk=4', { CallSid: 'CA1' }) // 'https://app.example/status?desk=4&CallSid=CA1'
 */
export function withQuery(url: string, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  return query === '' ? url : `${url}${url.includes('?') ? '&' : '?'}${query}`;
}
