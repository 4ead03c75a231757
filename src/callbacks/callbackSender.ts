/**
 * Sends status callbacks from a worker thread (senderThread.ts), so that signing them, writing the requests and
 * reading the answers never takes the event loop's time from requests and keypresses. While a thousand callers
 * type, that is a callback every millisecond.
 *
 * The outbox still decides what goes, when, and records every outcome; the thread only carries out attempts. If
 * the thread dies, every attempt it held counts as unanswered and goes again with its idempotency token (a receiver
 * may then see it twice, which is what the token is for), and the next attempt starts a new thread.
 *
 * A session's callbacks that are due together (the keys a caller typed in one burst) go as one sequence: the thread
 * sends each once the one before it was delivered, without a trip back through the event loop in between, and
 * stops at the first that is not.
 *
 * @example
 *   const sender = new CallbackSender({ policy: portableCallbackPolicy(policy), connectionsPerOrigin: 64, timeoutMs: 15_000, userAgent: 'TwilioProxy/1.1' }, log);
 *   const callback = { url, params, signingKey: authToken, idempotencyToken: `${sid}-${seq}` };
 *   await sender.sendInOrder([callback, second, third], (result) => record(result));   // 204, 204, 500: third not sent
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
  /** POST (a form body) or GET (the parameters in the query string), as the callback's owner asked. */
  method: 'GET' | 'POST';
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

/**
 * `sequences`: each is sent in order, the next callback once the one before was delivered. Each answer comes back
 * as it is known, in order; `last` marks the sequence's last one (all were sent, or this one was not delivered).
 */
export type ToSender = { kind: 'send'; sequences: Array<{ id: number; callbacks: CallbackToSend[] }> } | { kind: 'close'; graceful: boolean };
export type FromSender = { kind: 'outcomes'; outcomes: Array<{ id: number; result: DeliveryResult; last: boolean }> } | { kind: 'closed' };

/** Hears the answers to one sequence, in order. */
interface SequenceListener {
  answered(result: DeliveryResult): void;
  ended(): void;
}

const STOPPED: DeliveryResult = { kind: 'no-response', error: 'callback sender stopped' };
/** How long `close` waits for the thread to wind down before it stops it. */
const CLOSE_LIMIT_MS = 5000;
const THREAD_MODULE = new URL('./senderThread.js', import.meta.url);

export class CallbackSender {
  #thread: Worker | null = null;
  #threadExited: Promise<void> = Promise.resolve();
  readonly #answers = new Map<number, SequenceListener>();
  #queued: Array<{ id: number; callbacks: CallbackToSend[] }> = [];
  #flushQueued = false;
  #lastId = 0;
  #closed = false;

  /** `threadModule` is the thread's code: senderThread.js, or in tests one that fails on purpose. */
  constructor(
    private readonly settings: SenderSettings,
    private readonly log: { warn(obj: object, msg?: string): void },
    private readonly threadModule: URL = THREAD_MODULE,
  ) {}

  /**
   * Sends the callbacks one after another, each once the one before was delivered, and tells `answered` what came of
   * each as soon as it is known: every one, or those up to and including the first not delivered. Resolves when the
   * sequence is over; never rejects. If the thread stops, the callback it was on is answered as unanswered.
   */
  sendInOrder(callbacks: CallbackToSend[], answered: (result: DeliveryResult) => void): Promise<void> {
    if (this.#closed) {
      answered(STOPPED);
      return Promise.resolve();
    }
    const id = ++this.#lastId;
    this.#queued.push({ id, callbacks });
    if (!this.#flushQueued) {
      // Every sequence a pass starts goes in one message, still in the turn the pass ran in.
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
    return new Promise((resolve) => this.#answers.set(id, { answered, ended: resolve }));
  }

  #flush(): void {
    this.#flushQueued = false;
    const sequences = this.#queued;
    this.#queued = [];
    if (sequences.length === 0) return;
    const thread = this.#running();
    thread.ref();
    thread.postMessage({ kind: 'send', sequences } satisfies ToSender);
  }

  #running(): Worker {
    if (this.#thread !== null) return this.#thread;
    const thread = new Worker(this.threadModule, { workerData: this.settings });
    // Holds the process open only while it has attempts to answer.
    thread.unref();
    thread.on('message', (message: FromSender) => {
      if (message.kind !== 'outcomes') return;
      for (const { id, result, last } of message.outcomes) {
        const listener = this.#answers.get(id);
        listener?.answered(result);
        if (!last) continue;
        listener?.ended();
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
    for (const listener of this.#answers.values()) {
      listener.answered(result);
      listener.ended();
    }
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
