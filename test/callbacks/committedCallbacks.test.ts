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
  return { session_sid: SID, seq, account_sid: 'AC' + '1'.repeat(32), kind: 'capture', params: { Seq: String(seq) }, url: 'http://127.0.0.1:9/pay', method: null, at: seq, attempts: 0, next_attempt_at: seq };
}

/** Starts and records the session's head alone, as the outbox does for a delivered callback; returns what `settled` said. */
function deliverHead(committed: CommittedCallbacks): boolean {
  assert.equal(committed.takeInOrder(SID, 1).length, 1, 'the session has a callback to send');
  return committed.settled(SID);
}

const seqs = (callbacks: OutgoingCallback[]) => callbacks.map((c) => c.seq);

test("a session is finished once it has ended and its last callback is recorded, and not before", () => {
  const committed = new CommittedCallbacks();
  committed.add(SID, [callback(1), callback(2)], false);
  assert.equal(deliverHead(committed), false, 'a callback is still queued');
  assert.equal(deliverHead(committed), false, 'the session has not ended: more callbacks may come');
  committed.add(SID, [callback(3)], true);
  assert.equal(deliverHead(committed), true);
  assert.equal(committed.knows(SID), false, 'a finished session is forgotten');
});

test('a session that ends with nothing left to send is forgotten at once', () => {
  const committed = new CommittedCallbacks();
  committed.add(SID, [callback(1)], false);
  assert.equal(deliverHead(committed), false, 'more may come');
  committed.add(SID, [], true);
  assert.equal(committed.knows(SID), false, 'a call whose end owed no callback leaves nothing behind');
});

test('a session left to the database is never called finished: its rows must be read', () => {
  const committed = new CommittedCallbacks();
  committed.add(SID, [callback(1), callback(2)], true);
  committed.takeInOrder(SID, 1);
  // The first callback waits for a retry: the rest go from the database.
  committed.leaveToDatabase(SID);
  assert.equal(committed.settled(SID), false);
});

test('callbacks due together are taken as one sequence, up to the limit and only to the head URL', () => {
  const committed = new CommittedCallbacks();
  const elsewhere = { ...callback(4), url: 'http://127.0.0.1:9/other' };
  committed.add(SID, [callback(1), callback(2), callback(3), elsewhere, callback(5)], false);
  assert.deepEqual(seqs(committed.takeInOrder(SID, 2)), [1, 2]);
  assert.deepEqual(seqs(committed.takeInOrder(SID, 32)), [3], 'the next callback goes to another URL: it heads the next sequence');
  assert.deepEqual(seqs(committed.takeInOrder(SID, 32)), [4]);
  assert.equal(committed.head(SID)?.seq, 5);
  assert.deepEqual(committed.takeInOrder('PK' + '9'.repeat(32), 32), [], 'a session not known here has nothing in memory');
});

test('callbacks of a sequence that were not attempted go back before those committed since', () => {
  const committed = new CommittedCallbacks();
  committed.add(SID, [callback(1), callback(2), callback(3)], false);
  const sequence = committed.takeInOrder(SID, 32);
  committed.add(SID, [callback(4)], true);
  // The receiver refused the second: the third was not attempted.
  committed.giveBack(SID, sequence.slice(2));
  assert.equal(committed.settled(SID), false, 'the session still has callbacks to send');
  assert.deepEqual(seqs(committed.takeInOrder(SID, 32)), [3, 4]);
  assert.equal(committed.settled(SID), true);
});
