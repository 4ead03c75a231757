/**
 * Asks an app for a call's TwiML, as Twilio's voice webhook does: a signed request (`X-Twilio-Signature`) by POST
 * (form body) or GET (query string), with Twilio's `User-Agent`, within a time limit, to an address the callback
 * policy allows (checked on the URL, on every redirect, and on the addresses its name resolves to). Whatever goes
 * wrong comes back as a Twilio problem (11200 an error answer, 11205 no answer, 11215 too many redirects, 12300 a
 * content type that is not TwiML, 12100 a body too large), with the request and the answer for the notification.
 *
 * @example
 *   const webhook = new VoiceWebhook({ authTokenFor, policy, timeoutMs: 15_000 });
 *   const fetched = await webhook.fetch(accountSid, { url: number.voiceUrl, method: 'POST', params });
 *   if (fetched.ok) readTwiml(fetched.text);
 */
import type { Agent, Dispatcher } from 'undici';
import { undiciPackage } from '../ops/onFirstUse.js';
import { callbackUrlRefusal, type CallbackPolicy } from '../domain/callbackPolicy.js';
import { maskDigitRuns } from '../domain/form.js';
import { CALLBACK_ADDRESS_REFUSED, guardedLookup } from './addressGuard.js';
import { signedRequest } from './signedRequest.js';
import { MAX_TWIML_BYTES } from '../twiml/document.js';
import type { FetchedTwiml } from '../twiml/interpreter.js';
import type { ProblemRequest, TwimlProblem } from '../twiml/problems.js';

export interface VoiceWebhookOptions {
  /** The account's auth token: the signing key. */
  authTokenFor(accountSid: string): Promise<string>;
  policy: CallbackPolicy;
  /** For connecting and for the whole answer; Twilio waits 15 s. */
  timeoutMs: number;
  userAgent?: string;
}

const MAX_REDIRECTS = 5;
/** How much of an answer a notification keeps. */
const SHOWN_BODY_BYTES = 4096;

export class VoiceWebhook {
  private agentMade: Agent | null = null;

  constructor(private readonly options: VoiceWebhookOptions) {}

  private get agent(): Agent {
    const { timeoutMs, policy } = this.options;
    return (this.agentMade ??= new (undiciPackage().Agent)({
      keepAliveTimeout: 10_000,
      connect: { timeout: timeoutMs, ...(policy.mode === 'any' ? {} : { lookup: guardedLookup(policy) }) },
    }));
  }

  async fetch(accountSid: string, request: { url: string; method: 'GET' | 'POST'; params: Record<string, string> }): Promise<FetchedTwiml> {
    const shown: ProblemRequest = { url: request.url, method: request.method, params: request.params };
    const failed = (problem: TwimlProblem): FetchedTwiml => ({ ok: false, problem, request: shown });
    let signingKey: string;
    try {
      signingKey = await this.options.authTokenFor(accountSid);
    } catch {
      return failed({ code: 11205, message: `The request to ${request.url} was not made: the account's signing key could not be read.` });
    }
    let { url, method } = request;
    for (let redirects = 0; ; redirects += 1) {
      const refusal = callbackUrlRefusal(url, this.options.policy);
      if (refusal !== null) return failed({ code: 11205, message: `${url} was not requested: it ${refusal} (PAYTONE_CALLBACK_POLICY).` });
      const signed = signedRequest(signingKey, url, method, method === request.method ? request.params : {});
      let answer: Dispatcher.ResponseData;
      try {
        answer = await this.send(signed);
      } catch (err) {
        return failed({ code: 11205, message: `${request.url} did not answer: ${reason(err)}.` });
      }
      const location = answer.headers.location;
      if (answer.statusCode >= 300 && answer.statusCode < 400 && typeof location === 'string') {
        await answer.body.dump();
        if (redirects === MAX_REDIRECTS) return failed({ code: 11215, message: `${request.url} redirected more than ${MAX_REDIRECTS} times.` });
        url = new URL(location, url).toString();
        // 307 and 308 keep the method and its parameters; any other redirect is followed with GET, as browsers do.
        if (answer.statusCode !== 307 && answer.statusCode !== 308) method = 'GET';
        continue;
      }
      return this.read(answer, shown, failed);
    }
  }

  /** Ends the connections, and any request still waiting for an app: the calls it was for end with the process. */
  close(): Promise<void> {
    return this.agentMade?.destroy() ?? Promise.resolve();
  }

  private send(signed: ReturnType<typeof signedRequest>): Promise<Dispatcher.ResponseData> {
    const target = new URL(signed.url);
    const headers: Record<string, string> = { 'x-twilio-signature': signed.signature, 'user-agent': this.options.userAgent ?? 'TwilioProxy/1.1', accept: 'text/xml, application/xml, */*' };
    if (signed.body !== null) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (target.username !== '' || target.password !== '') {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
    }
    return this.agent.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: signed.method,
      headers,
      body: signed.body,
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
  }

  private async read(answer: Dispatcher.ResponseData, shown: ProblemRequest, failed: (p: TwimlProblem) => FetchedTwiml): Promise<FetchedTwiml> {
    let body: string;
    try {
      body = await bodyUpTo(answer, MAX_TWIML_BYTES + 1);
    } catch (err) {
      return failed({ code: 11205, message: `${shown.url} did not finish its answer: ${reason(err)}.` });
    }
    const contentType = String(answer.headers['content-type'] ?? '');
    shown.response = { status: answer.statusCode, headers: contentType === '' ? {} : { 'Content-Type': contentType }, body: maskDigitRuns(body.slice(0, SHOWN_BODY_BYTES)) };
    if (answer.statusCode < 200 || answer.statusCode >= 300) return failed({ code: 11200, message: `${shown.url} answered HTTP ${answer.statusCode}.` });
    if (Buffer.byteLength(body) > MAX_TWIML_BYTES) return failed({ code: 12100, message: `${shown.url} answered more than ${MAX_TWIML_BYTES} bytes; TwiML may be at most 64 KB.` });
    if (contentType !== '' && !/xml|html/i.test(contentType)) {
      return failed({ code: 12300, message: `${shown.url} answered Content-Type ${contentType.slice(0, 80)}; TwiML is text/xml or application/xml.` });
    }
    return { ok: true, text: body, request: shown };
  }
}

/** The body as text, cut off (and the rest discarded) past `limit` bytes. */
async function bodyUpTo(answer: Dispatcher.ResponseData, limit: number): Promise<string> {
  return (await bodyBytesUpTo(answer, limit)).subarray(0, limit).toString('utf8');
}

/** The body's bytes; past `limit` bytes the rest is discarded (what was read may run a little over `limit`). */
export async function bodyBytesUpTo(answer: Dispatcher.ResponseData, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of answer.body) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= limit) {
      answer.body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks);
}

/** A short, stable reason, never an error's whole message. */
function reason(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  if (code === CALLBACK_ADDRESS_REFUSED) return `refused by the callback policy (${(err as Error).message})`;
  if (e?.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timed out';
  return typeof code === 'string' ? code : 'network error';
}
