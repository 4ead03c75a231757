/**
 * The retry loop's deadline: an attempt that never answers must end at the policy's timeout, even when the
 * garbage collector runs while it waits (Node 20 can collect a timeout signal held only by AbortSignal.any()).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { withGatewayRetries } from '../../src/connectors/gatewayRetry.js';

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** An attempt that hears nothing from the gateway: it ends only when its signal says the time is up. */
function silentGateway(signal: AbortSignal): Promise<{ retry: string }> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ retry: 'timeout' }), { once: true }));
}

describe('gateway retries', () => {
  it('ends an unanswered attempt at its deadline while garbage is collected, and gives up after the last attempt', { timeout: 20_000 }, async () => {
    const policy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 150 };
    const collecting = setInterval(collectGarbage, 10);
    try {
      const attempts: number[] = [];
      const result = await withGatewayRetries((signal, attempt) => (attempts.push(attempt), silentGateway(signal)), { policy, signal: new AbortController().signal });
      assert.deepEqual(result, { answered: false, lastError: 'timeout', attempts: 3 });
      assert.deepEqual(attempts, [1, 2, 3]);
    } finally {
      clearInterval(collecting);
    }
  });

  it('stops at once on shutdown, without another attempt', async () => {
    const shutdown = new AbortController();
    const attempts: number[] = [];
    const running = withGatewayRetries((signal, attempt) => {
      attempts.push(attempt);
      setTimeout(() => shutdown.abort(), 5);
      return silentGateway(signal);
    }, { policy: { maxAttempts: 6, baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 60_000 }, signal: shutdown.signal });
    await assert.rejects(running, { name: 'GatewayCallStopped' });
    assert.deepEqual(attempts, [1]);
  });
});
