/**
 * Sends status callbacks from a worker thread (senderThread.ts), so that signing them, writing the requests and
 * reading the answers never takes the event loop's time from requests and keypresses. While a thousand callers
 * type, that is a callback every millisecond.
 *
 * The outbox still decides what goes, when, and records every outcome; the thread only carries out attempts. If
 * the thread dies, every attempt it held counts as unanswered and goes again with its idempotency token (a receiver
 * may then see it twice, which is what the token is for), and the next attempt starts a new thread.
 *
 * @example
 *   const sender = new CallbackSender({ policy: portableCallbackPolicy(policy), connectionsPerOrigin: 64, timeoutMs: 15_000, userAgent: 'TwilioProxy/1.1' }, log);
 *   const result = await sender.send({ url, params, signingKey: authToken, idempotencyToken: `${sid}-${seq}` });
 *   await sender.close(true);
 */
import { Worker } from 'node:worker_threads';
import type { DeliveryResult } from './deliver.js';
import type { PortableCallbackPolicy } from '../domain/callbackPolicy.js';

/** One attempt at one callback. The thread signs it: the key goes with it. */
export interface CallbackToSend {
  /** The StatusCallback URL exactly as stored. */
  url: string;
  /** The callback's form parameters (masked). */
  params: Record<string, string>;
  /** The account's auth token, the key of `X-Twilio-Signature`. */
  signingKey: string;
  /** `I-Twilio-Idempotency-Token`: the same on every attempt of one callback. */
  idempotencyToken: string;
}

/** Fixed for the sender's life; the thread's `workerData`. */
export interface SenderSettings {
  policy: PortableCallbackPolicy;
  /** Connections kept per receiver origin. */
  connectionsPerOrigin: number;
  /** Limit for connecting, for the response headers, and again for the body. */
  timeoutMs: number;
  userAgent: string;
}

export type ToSender = { kind: 'send'; callbacks: Array<{ id: number; callback: CallbackToSend }> } | { kind: 'close'; graceful: boolean };
export type FromSender = { kind: 'outcomes'; outcomes: Array<{ id: number; result: DeliveryResult }> } | { kind: 'closed' };

const STOPPED: DeliveryResult = { kind: 'no-response', error: 'callback sender stopped' };
/** How long `close` waits for the thread to wind down before it stops it. */
const CLOSE_LIMIT_MS = 5000;
const THREAD_MODULE = new URL('./senderThread.js', import.meta.url);

export class CallbackSender {
  #thread: Worker | null = null;
  #threadExited: Promise<void> = Promise.resolve();
  readonly #answers = new Map<number, (result: DeliveryResult) => void>();
  #queued: Array<{ id: number; callback: CallbackToSend }> = [];
  #flushQueued = false;
  #lastId = 0;
  #closed = false;

  /** `threadModule` is the thread's code: senderThread.js, or in tests one that fails on purpose. */
  constructor(
    private readonly settings: SenderSettings,
    private readonly log: { warn(obj: object, msg?: string): void },
    private readonly threadModule: URL = THREAD_MODULE,
  ) {}

  /** Resolves with what came of the attempt; never rejects. */
  send(callback: CallbackToSend): Promise<DeliveryResult> {
    if (this.#closed) return Promise.resolve(STOPPED);
    const id = ++this.#lastId;
    this.#queued.push({ id, callback });
    if (!this.#flushQueued) {
      // Every callback a pass starts goes in one message, still in the turn the pass ran in.
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
    return new Promise((resolve) => this.#answers.set(id, resolve));
  }

  #flush(): void {
    this.#flushQueued = false;
    const callbacks = this.#queued;
    this.#queued = [];
    if (callbacks.length === 0) return;
    const thread = this.#running();
    thread.ref();
    thread.postMessage({ kind: 'send', callbacks } satisfies ToSender);
  }

  #running(): Worker {
    if (this.#thread !== null) return this.#thread;
    const thread = new Worker(this.threadModule, { workerData: this.settings });
    // Holds the process open only while it has attempts to answer.
    thread.unref();
    thread.on('message', (message: FromSender) => {
      if (message.kind !== 'outcomes') return;
      for (const { id, result } of message.outcomes) {
        this.#answers.get(id)?.(result);
        this.#answers.delete(id);
      }
      if (this.#answers.size === 0) thread.unref();
    });
    thread.on('error', (err) => this.log.warn({ error: err.message }, 'callback sender thread failed; its attempts count as unanswered'));
    this.#threadExited = new Promise((resolve) =>
      thread.once('exit', () => {
        if (this.#thread === thread) this.#thread = null;
        this.#answerAll(STOPPED);
        resolve();
      }),
    );
    this.#thread = thread;
    return thread;
  }

  #answerAll(result: DeliveryResult): void {
    for (const answer of this.#answers.values()) answer(result);
    this.#answers.clear();
  }

  /**
   * Stops the thread: `graceful` lets the connections finish what they carry, otherwise the attempts in flight are
   * cut off. Every attempt not answered by then counts as unanswered.
   */
  async close(graceful: boolean): Promise<void> {
    this.#closed = true;
    this.#flush();
    const thread = this.#thread;
    if (thread === null) return;
    const closed = new Promise<void>((resolve) => thread.on('message', (message: FromSender) => message.kind === 'closed' && resolve()));
    thread.postMessage({ kind: 'close', graceful } satisfies ToSender);
    let limit: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (limit = setTimeout(resolve, CLOSE_LIMIT_MS)));
    await Promise.race([closed, this.#threadExited, late]);
    clearTimeout(limit);
    await thread.terminate();
    await this.#threadExited;
  }
}
