import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthFailureLog, type AuthFailure } from '../../src/domain/authFailureLog.js';

const failure = (sourceIp: string, throttled = false): AuthFailure => ({ sourceIp, method: 'GET', path: '/2010-04-01/Accounts/AC.../Calls.json', credential: null, throttled });

test('3,000 failures in a minute make 10 lines and one summary that still counts them all, by address', () => {
  const clock = { now: Date.UTC(2026, 0, 1) };
  const lines: Array<{ message: string; fields: Record<string, unknown> }> = [];
  const log = new AuthFailureLog((fields, message) => lines.push({ fields, message }), () => clock.now, { perInterval: 10, intervalMs: 60_000 });
  for (let i = 0; i < 3000; i += 1) {
    log.record(failure(i % 3 === 0 ? '198.51.100.1' : '203.0.113.9', i >= 100));
    clock.now += 10;
  }
  assert.equal(lines.length, 10);
  assert.ok(lines.every((line) => line.message === 'authentication failed'));
  assert.deepEqual(lines[0]!.fields, failure('198.51.100.1'));

  clock.now = Date.UTC(2026, 0, 1) + 60_000;
  log.roll();
  assert.equal(lines.length, 11);
  assert.deepEqual(lines[10], {
    message: 'authentication failures not logged one by one',
    fields: {
      failures: 2990,
      throttled: 2900,
      addresses: 2,
      busiest: [
        { sourceIp: '203.0.113.9', failures: 1994 },
        { sourceIp: '198.51.100.1', failures: 996 },
      ],
      since: '2026-01-01T00:00:00.000Z',
    },
  });

  log.roll();
  log.record(failure('192.0.2.1'));
  assert.equal(lines.length, 12, 'the next interval starts with lines of its own, and a quiet one adds no summary');
  assert.equal(lines[11]!.message, 'authentication failed');
});
