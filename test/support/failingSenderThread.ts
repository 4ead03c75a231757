/**
 * A callback sender thread that dies on demand: the real one (senderThread.js), except that a batch holding a
 * callback to the path `/die` ends the thread as it arrives. Loaded outside a worker (the test runner loads
 * every file here) it does nothing.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import type { ToSender } from '../../src/callbacks/callbackSender.js';

if (!isMainThread) {
  // Imported first, so its listener is in place before the first batch can arrive.
  await import('../../src/callbacks/senderThread.js');
  parentPort!.on('message', (message: ToSender) => {
    const callbacks = message.kind === 'send' ? message.sequences.flatMap((sequence) => sequence.callbacks) : [];
    if (callbacks.some((callback) => new URL(callback.url).pathname === '/die')) process.exit(1);
  });
}
