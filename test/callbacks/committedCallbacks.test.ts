/**
 * The outbox's memory of committed callbacks: what it hands out, and when it says a session has nothing left to look
 * for (the outbox then reads nothing back for it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommittedCallbacks } from '../../src/callbacks/committedCallbacks.js';
import type { OutgoingCallback } from '../../src/callbacks/outbox.js';

const SID = 'PK' + '0'.repeat(32);

function callback(seq: number): OutgoingCallback {
  return { session_sid: SID, seq, account_sid: 'AC' + '1'.repeat(32), kind: 'capture', params: { Seq: String(seq) }, url: 'http://127.0.0.1:9/pay', at: seq, attempts: 0, next_attempt_at: seq };
}

/** Starts and records the session's head, as the outbox does for a delivered callback; returns what `settled` said. */
function deliverHead(committed: CommittedCallbacks): boolean {
  const head = committed.head(SID);
  assert.ok(head, 'the session has a callback to send');
  committed.taken(SID, head.seq);
  return committed.settled(SID);
}

test("a session is finished once it has ended and its last callback is recorded, and not before", () => {
  const committed = new CommittedCallbacks();
  committed.add(SID, [callback(1), callback(2)], false);
  assert.equal(deliverHead(committed), false, 'a callback is still queued');
  assert.equal(deliverHead(committed), false, 'the session has not ended: more callbacks may come');
  committed.add(SID, [callback(3)], true);
  assert.equal(deliverHead(committed), true);
  assert.equal(committed.knows(SID), false, 'a finished session is forgotten');
});

test('a session left to the database is never called finished: its rows must be read', () => {
  const committed = new CommittedCallbacks();
  committed.add(SID, [callback(1), callback(2)], true);
  const head = committed.head(SID)!;
  committed.taken(SID, head.seq);
  // The first callback waits for a retry: the rest go from the database.
  committed.leaveToDatabase(SID);
  assert.equal(committed.settled(SID), false);
});
