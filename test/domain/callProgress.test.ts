/**
 * How a call moves through Twilio's statuses and which status callbacks the moves owe, against the call's
 * StatusCallbackEvent: every path a real call can take, and the reports that come too late to matter.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advanceCall, placedCall } from '../../src/domain/callProgress.js';
import type { CallEvent, CallRecord, CallStatus } from '../../src/domain/callView.js';
import { callRecord } from '../support/callRecords.js';

const T0 = Date.UTC(2026, 10, 21, 20, 0, 0);
const queued = (events: CallEvent[]): CallRecord =>
  callRecord({ status: 'queued', startTime: null, answerTime: null, statusCallback: 'https://app.example/status', statusCallbackEvents: events });

/** Moves the call through `statuses` one second apart; the callbacks sent, as [CallStatus, SequenceNumber]. */
function walk(call: CallRecord, statuses: CallStatus[]): { call: CallRecord; sent: Array<[string, string]> } {
  const placed = placedCall(call);
  const sent = placed.callbacks.map((c) => [c.params.CallStatus!, c.params.SequenceNumber!] as [string, string]);
  let current = placed.call;
  statuses.forEach((status, i) => {
    const moved = advanceCall(current, status, T0 + (i + 1) * 1000);
    assert.ok(moved, `${current.status} -> ${status}`);
    current = moved.call;
    if (moved.callback) sent.push([moved.callback.params.CallStatus!, moved.callback.params.SequenceNumber!]);
  });
  return { call: current, sent };
}

describe('call progress', () => {
  it('an answered outbound call reports every moment it asked for, numbered in order', () => {
    const { call, sent } = walk(queued(['initiated', 'ringing', 'answered', 'completed']), ['ringing', 'in-progress', 'completed']);
    assert.deepEqual(sent, [['initiated', '0'], ['ringing', '1'], ['in-progress', '2'], ['completed', '3']]);
    assert.equal(call.startTime, T0 + 1000, 'started when it rang');
    assert.equal(call.answerTime, T0 + 2000);
    assert.equal(call.endTime, T0 + 3000);
    assert.equal(call.callbacksSent, 4);
  });

  it("by default only the end is reported, and a busy call's end says busy with no duration", () => {
    const { call, sent } = walk(queued(['completed']), ['ringing', 'busy']);
    assert.deepEqual(sent, [['busy', '0']]);
    assert.equal(call.answerTime, null);
    const params = advanceCall(placedCall(queued(['completed'])).call, 'no-answer', T0)!.callback!.params;
    assert.equal(params.CallDuration, '0');
    assert.equal(params.CallStatus, 'no-answer');
  });

  it('an answered call can only end completed, and an ended call does not move again', () => {
    const { call } = walk(queued([]), ['in-progress', 'busy']);
    assert.equal(call.status, 'completed');
    assert.equal(advanceCall(call, 'completed', T0 + 9000), null, 'a BYE after the API hung up changes nothing');
    assert.equal(advanceCall(call, 'in-progress', T0 + 9000), null);
  });

  it('refuses moves backwards or in place', () => {
    const ringing = walk(queued([]), ['ringing']).call;
    assert.equal(advanceCall(ringing, 'ringing', T0), null);
    assert.equal(advanceCall(ringing, 'queued', T0), null);
    const answered = walk(queued([]), ['in-progress']).call;
    assert.equal(advanceCall(answered, 'ringing', T0), null, 'a late 180 after the 200');
  });

  it('a sandbox call, answered as it is placed, reports initiated, ringing and answered at once; no callback without a URL', () => {
    const sandbox = callRecord({ statusCallback: 'https://app.example/status', statusCallbackEvents: ['initiated', 'ringing', 'answered'] });
    assert.deepEqual(placedCall(sandbox).callbacks.map((c) => [c.seq, c.params.CallStatus]), [[1, 'initiated'], [2, 'ringing'], [3, 'in-progress']]);
    assert.deepEqual(placedCall({ ...sandbox, statusCallback: null }).callbacks, []);
  });

  it('an inbound call starts ringing and owes nothing until it ends; a child names its parent', () => {
    const inbound = callRecord({ status: 'ringing', direction: 'inbound', answerTime: null, statusCallback: 'https://app.example/s', statusCallbackEvents: ['completed'], sipCallId: 'abc@10.0.0.1' });
    assert.deepEqual(placedCall(inbound).callbacks, []);
    const ended = advanceCall(inbound, 'completed', T0 + 5000)!;
    assert.equal(ended.callback!.params.SipCallId, 'abc@10.0.0.1');
    const child = callRecord({ direction: 'outbound-dial', parentCallSid: 'CA' + '9'.repeat(32), statusCallback: 'https://app.example/s' });
    assert.equal(advanceCall(child, 'completed', T0 + 5000)!.callback!.params.ParentCallSid, 'CA' + '9'.repeat(32));
  });
});
