/**
 * The worker thread behind `CallbackSender`: signs each callback, POSTs it through its own keep-alive connection
 * pool and answers with the outcome. Nothing is stored here; the outbox on the main thread owns the rows.
 *
 * Messages come and go in batches (every sequence the outbox started in one turn, every outcome ready in one turn):
 * one message per batch costs less than one per callback. A sequence is one session's callbacks in order: the next
 * goes once the one before it was delivered, so the session's callbacks still arrive one at a time and in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Agent } from 'undici';
import { postCallback, type DeliveryResult } from './deliver.js';
import { isDelivered } from './retryPolicy.js';
import { guardedLookup } from './addressGuard.js';
import { requestSignature } from './signedRequest.js';
import { callbackPolicyFrom } from '../domain/callbackPolicy.js';
import type { CallbackToSend, SenderSettings, ToSender, FromSender } from './callbackSender.js';

const port = parentPort!;
const settings = workerData as SenderSettings;
const policy = callbackPolicyFrom(settings.policy);
const agent = new Agent({
  connections: settings.connectionsPerOrigin,
  keepAliveTimeout: 30_000,
  connect: {
    timeout: settings.timeoutMs,
    ...(policy.mode === 'any' ? {} : { lookup: guardedLookup(policy) }),
  },
});

let outcomes: Array<{ id: number; result: DeliveryResult; last: boolean }> = [];
let answerQueued = false;
/** Set once the thread is asked to close: a sequence sends nothing more. */
let closing = false;

function answer(id: number, result: DeliveryResult, last: boolean): void {
  outcomes.push({ id, result, last });
  if (answerQueued) return;
  answerQueued = true;
  setImmediate(flushOutcomes);
}

function flushOutcomes(): void {
  answerQueued = false;
  if (outcomes.length === 0) return;
  const message: FromSender = { kind: 'outcomes', outcomes };
  outcomes = [];
  port.postMessage(message);
}

port.on('message', (message: ToSender) => {
  if (message.kind === 'close') {
    closing = true;
    void (message.graceful ? agent.close() : agent.destroy())
      // The POSTs cut off by destroy() settle on a later turn: their outcomes go before 'closed'.
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .finally(() => {
        flushOutcomes();
        port.postMessage({ kind: 'closed' } satisfies FromSender);
      });
    return;
  }
  for (const { id, callbacks } of message.sequences) void sendInOrder(id, callbacks);
});

/** Sends each callback once the one before it was delivered, answering each; stops at the first not delivered. */
async function sendInOrder(id: number, callbacks: CallbackToSend[]): Promise<void> {
  for (const [i, callback] of callbacks.entries()) {
    const result = await attempt(callback).catch((): DeliveryResult => ({ kind: 'no-response', error: 'network error' }));
    const last = i === callbacks.length - 1 || !isDelivered(result) || closing;
    answer(id, result, last);
    if (last) return;
  }
}

/** Signs and POSTs one callback; async, so a callback that fails to sign fails alone, not the rest of its batch. */
async function attempt(callback: CallbackToSend): Promise<DeliveryResult> {
  return postCallback(agent, {
    url: callback.url,
    params: callback.params,
    method: callback.method,
    signature: requestSignature(callback.signingKey, callback.url, callback.method, callback.params),
    idempotencyToken: callback.idempotencyToken,
    userAgent: settings.userAgent,
    timeoutMs: settings.timeoutMs,
  });
}
