import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callLiveEvent, liveEventJson, matchesFilter, sessionLiveEvents, type LiveEvent } from '../../src/domain/liveEvents.js';
import type { CallRecord } from '../../src/domain/callView.js';
import { callRecord } from '../support/callRecords.js';

const AC = 'AC' + 'a'.repeat(32);
const CA = 'CA' + 'b'.repeat(32);
const PK = 'PK' + 'c'.repeat(32);
const placedAt = Date.UTC(2026, 10, 21, 20, 0, 0);

const call: CallRecord = callRecord({ sid: CA, accountSid: AC, dateCreated: placedAt, dateUpdated: placedAt, startTime: placedAt, answerTime: placedAt });

test("a call's live status reads like Twilio's call status callback; only an ended call has a duration", () => {
  const placed = callLiveEvent(call);
  assert.equal(placed.kind, 'call-status');
  assert.equal(placed.paymentSid, null);
  assert.equal(placed.at, placedAt);
  assert.equal(placed.params.CallStatus, 'in-progress');
  assert.equal(placed.params.Timestamp, 'Sat, 21 Nov 2026 20:00:00 +0000');
  assert.equal(placed.params.CallDuration, undefined);
  assert.equal(placed.params.Duration, undefined);

  const endedAt = placedAt + 61_400;
  const ended = callLiveEvent({ ...call, status: 'completed', endTime: endedAt, dateUpdated: endedAt });
  assert.equal(ended.at, endedAt);
  assert.deepEqual([ended.params.CallStatus, ended.params.CallDuration, ended.params.Duration], ['completed', '61', '2']);
});

test("a session's events go live with its sids and the callbacks' own parameters", () => {
  const [live] = sessionLiveEvents({ accountSid: AC, callSid: CA, sid: PK }, [{ seq: 3, kind: 'capture', params: { Capture: 'security-code', SecurityCode: 'xxx' }, url: 'https://app.example/pay', at: placedAt }]);
  assert.deepEqual(live, { accountSid: AC, callSid: CA, paymentSid: PK, kind: 'capture', params: { Capture: 'security-code', SecurityCode: 'xxx' }, at: placedAt });
  assert.ok(!('url' in live!), 'where the callback goes is not part of the live event');
});

test('filters narrow by call and by session; the wire form is snake_case with an RFC 2822 date', () => {
  const event: LiveEvent = { id: 7, accountSid: AC, callSid: CA, paymentSid: PK, kind: 'started', params: { Sid: PK }, at: placedAt };
  assert.equal(matchesFilter(event, {}), true);
  assert.equal(matchesFilter(event, { callSid: CA, paymentSid: PK }), true);
  assert.equal(matchesFilter(event, { callSid: 'CA' + '0'.repeat(32) }), false);
  assert.equal(matchesFilter({ ...event, paymentSid: null }, { paymentSid: PK }), false);
  assert.deepEqual(liveEventJson(event), {
    id: 7,
    kind: 'started',
    account_sid: AC,
    call_sid: CA,
    payment_sid: PK,
    date_created: 'Sat, 21 Nov 2026 20:00:00 +0000',
    parameters: { Sid: PK },
  });
});
