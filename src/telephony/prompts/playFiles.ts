/**
 * The audio files `<Play>` names, fetched once and kept: each URL is requested (GET, Twilio's User-Agent, within a
 * time limit, only to addresses the callback policy allows: on the URL, every redirect, and the addresses its name
 * resolves to), read into 8 kHz samples (MP3, WAV, µ-law, A-law), and cached by URL, so a prompt played on every call costs one request. Calls
 * asking for the same URL at once share one request. A file that cannot be fetched or read is a Twilio problem
 * (11200, 11205, 13617) for the call's notifications, and is asked for again next time.
 *
 * @example
 *   const files = new PlayFiles({ policy, timeoutMs: 15_000 });
 *   const file = await files.get('https://app.example/welcome.wav');
 *   if (file.ok) file.samples.length / 8000 // seconds
 */
import type { Agent, Dispatcher } from 'undici';
import { undiciPackage } from '../../ops/onFirstUse.js';
import { callbackUrlRefusal, type CallbackPolicy } from '../../domain/callbackPolicy.js';
import { guardedLookup } from '../../callbacks/addressGuard.js';
import { bodyBytesUpTo } from '../../callbacks/voiceWebhook.js';
import type { TwimlProblem } from '../../twiml/problems.js';
import { readAudioFile } from './audioFiles.js';
import { decodeMp3, looksLikeMp3 } from './mp3Audio.js';

export type PlayFile = { ok: true; samples: Int16Array } | { ok: false; problem: TwimlProblem };

/** The largest file paytone fetches: about 30 minutes of 8 kHz µ-law, or 5 of 44.1 kHz 16-bit WAV. */
const MAX_FILE_BYTES = 32 * 1024 * 1024;
/** What the cache keeps, in decoded bytes, before it forgets the files used longest ago. */
const CACHE_BYTES = 128 * 1024 * 1024;
const MAX_REDIRECTS = 5;

export class PlayFiles {
  private agentMade: Agent | null = null;
  /** Most recently used last. */
  private readonly cached = new Map<string, Int16Array>();
  private cachedBytes = 0;
  private readonly fetching = new Map<string, Promise<PlayFile>>();

  constructor(private readonly options: { policy: CallbackPolicy; timeoutMs: number }) {}

  private get agent(): Agent {
    const { timeoutMs, policy } = this.options;
    return (this.agentMade ??= new (undiciPackage().Agent)({ keepAliveTimeout: 10_000, connect: { timeout: timeoutMs, ...(policy.mode === 'any' ? {} : { lookup: guardedLookup(policy) }) } }));
  }

  get(url: string): Promise<PlayFile> {
    const kept = this.cached.get(url);
    if (kept !== undefined) {
      this.cached.delete(url);
      this.cached.set(url, kept);
      return Promise.resolve({ ok: true, samples: kept });
    }
    let pending = this.fetching.get(url);
    if (pending === undefined) {
      pending = this.fetch(url).finally(() => this.fetching.delete(url));
      this.fetching.set(url, pending);
    }
    return pending;
  }

  /** Ends the connections, and any fetch still in flight (shutdown). */
  close(): Promise<void> {
    return this.agentMade?.destroy() ?? Promise.resolve();
  }

  private async fetch(first: string): Promise<PlayFile> {
    const failed = (code: TwimlProblem['code'], why: string): PlayFile => ({ ok: false, problem: { code, message: `<Play> ${first.slice(0, 300)} could not be played: ${why}.` } });
    let url = first;
    for (let redirects = 0; ; redirects++) {
      const refusal = callbackUrlRefusal(url, this.options.policy);
      if (refusal !== null) return failed(11205, `it ${refusal} (PAYTONE_CALLBACK_POLICY)`);
      let answer: Dispatcher.ResponseData;
      try {
        const target = new URL(url);
        answer = await this.agent.request({
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method: 'GET',
          headers: { 'user-agent': 'TwilioProxy/1.1', accept: 'audio/*' },
          headersTimeout: this.options.timeoutMs,
          bodyTimeout: this.options.timeoutMs,
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
      } catch (err) {
        return failed(11205, `no answer (${errorCode(err)})`);
      }
      const location = answer.headers.location;
      if (answer.statusCode >= 300 && answer.statusCode < 400 && typeof location === 'string') {
        await answer.body.dump();
        if (redirects === MAX_REDIRECTS) return failed(11200, `redirected more than ${MAX_REDIRECTS} times`);
        url = new URL(location, url).toString();
        continue;
      }
      if (answer.statusCode < 200 || answer.statusCode >= 300) {
        await answer.body.dump();
        return failed(11200, `HTTP ${answer.statusCode}`);
      }
      let bytes: Buffer;
      try {
        bytes = await bodyBytesUpTo(answer, MAX_FILE_BYTES + 1);
      } catch (err) {
        return failed(11205, `the answer did not finish (${errorCode(err)})`);
      }
      if (bytes.length > MAX_FILE_BYTES) return failed(11200, `it is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`);
      const type = String(answer.headers['content-type'] ?? '');
      const read = looksLikeMp3(bytes, type, url) ? await decodeMp3(bytes) : readAudioFile(bytes, type, url);
      if (!read.ok) return failed(13617, read.problem);
      this.keep(first, read.samples);
      return { ok: true, samples: read.samples };
    }
  }

  private keep(url: string, samples: Int16Array): void {
    this.cached.set(url, samples);
    this.cachedBytes += samples.byteLength;
    for (const [oldest, kept] of this.cached) {
      if (this.cachedBytes <= CACHE_BYTES || oldest === url) break;
      this.cached.delete(oldest);
      this.cachedBytes -= kept.byteLength;
    }
  }
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } } | null;
  if (e?.name === 'TimeoutError') return 'timed out';
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' ? code : 'network error';
}
