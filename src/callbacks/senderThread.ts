/**
 * The worker thread behind `CallbackSender`: signs each callback, POSTs it through its own keep-alive connection
 * pool and answers with the outcome. Nothing is stored here; the outbox on the main thread owns the rows.
 *
 * Messages come and go in batches (every callback the outbox started in one turn, every outcome ready in one turn):
 * one message per batch costs less than one per callback.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Agent } from 'undici';
import { postCallback, type DeliveryResult } from './deliver.js';
import { guardedLookup } from './addressGuard.js';
import { signCallback } from './signature.js';
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

let outcomes: Array<{ id: number; result: DeliveryResult }> = [];
let answerQueued = false;

function answer(id: number, result: DeliveryResult): void {
  outcomes.push({ id, result });
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
    void (message.graceful ? agent.close() : agent.destroy())
      // The POSTs cut off by destroy() settle on a later turn: their outcomes go before 'closed'.
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .finally(() => {
        flushOutcomes();
        port.postMessage({ kind: 'closed' } satisfies FromSender);
      });
    return;
  }
  for (const { id, callback } of message.callbacks) {
    attempt(callback).then(
      (result) => answer(id, result),
      () => answer(id, { kind: 'no-response', error: 'network error' }),
    );
  }
});

/** Signs and POSTs one callback; async, so a callback that fails to sign fails alone, not the rest of its batch. */
async function attempt(callback: CallbackToSend): Promise<DeliveryResult> {
  return postCallback(agent, {
    url: callback.url,
    params: callback.params,
    signature: signCallback(callback.signingKey, callback.url, callback.params),
    idempotencyToken: callback.idempotencyToken,
    userAgent: settings.userAgent,
    timeoutMs: settings.timeoutMs,
  });
}
