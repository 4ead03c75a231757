import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeliveryResult } from '../../src/callbacks/deliver.js';
import { CALLBACK_RETRY, isDelivered, nextAttemptAt, shouldRetry } from '../../src/callbacks/retryPolicy.js';

const answered = (status: number): DeliveryResult => ({ kind: 'response', status });
const noAnswer = (error: string): DeliveryResult => ({ kind: 'no-response', error });

test('2xx is delivered and never retried', () => {
  for (const status of [200, 201, 204, 299]) {
    assert.equal(isDelivered(answered(status)), true);
    assert.equal(shouldRetry(answered(status), 1), false);
  }
  assert.equal(isDelivered(answered(301)), false);
  assert.equal(isDelivered(noAnswer('timeout')), false);
});

test('no answer, timeouts, 5xx, 429 and 408 are retried while attempts remain', () => {
  for (const result of [noAnswer('ECONNREFUSED'), noAnswer('timeout'), answered(500), answered(503), answered(429), answered(408)]) {
    assert.equal(shouldRetry(result, 1), true, JSON.stringify(result));
    assert.equal(shouldRetry(result, CALLBACK_RETRY.maxAttempts - 1), true, JSON.stringify(result));
    assert.equal(shouldRetry(result, CALLBACK_RETRY.maxAttempts), false, JSON.stringify(result));
  }
});

test('a refusal (3xx, other 4xx) or an unsendable callback gives up at once', () => {
  for (const result of [answered(301), answered(400), answered(401), answered(403), answered(404), answered(410)]) {
    assert.equal(shouldRetry(result, 1), false, JSON.stringify(result));
  }
  assert.equal(shouldRetry({ kind: 'unsendable', error: 'invalid url' }, 1), false);
});

test('maxAttempts comes from the policy given', () => {
  const policy = { ...CALLBACK_RETRY, maxAttempts: 2 };
  assert.equal(shouldRetry(answered(500), 1, policy), true);
  assert.equal(shouldRetry(answered(500), 2, policy), false);
});

test('backoff doubles per attempt, stays within its upper half, and is capped', () => {
  const now = 1_700_000_000_000;
  const low = () => 0;
  const high = () => 1;
  assert.equal(nextAttemptAt(now, 1, low), now + 500);
  assert.equal(nextAttemptAt(now, 1, high), now + 1000);
  assert.equal(nextAttemptAt(now, 2, low), now + 1000);
  assert.equal(nextAttemptAt(now, 4, high), now + 8000);
  assert.equal(nextAttemptAt(now, 20, high), now + CALLBACK_RETRY.maxDelayMs);
  assert.equal(nextAttemptAt(now, 20, low), now + CALLBACK_RETRY.maxDelayMs / 2);
  const jittered = nextAttemptAt(now, 3, () => 0.5);
  assert.equal(jittered, now + 3000);
});

test('a custom policy scales the schedule', () => {
  const policy = { ...CALLBACK_RETRY, baseDelayMs: 20, maxDelayMs: 100 };
  assert.equal(nextAttemptAt(0, 1, () => 1, policy), 20);
  assert.equal(nextAttemptAt(0, 3, () => 1, policy), 80);
  assert.equal(nextAttemptAt(0, 4, () => 1, policy), 100);
});
