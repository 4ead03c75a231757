import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { callView, type CallRecord } from '../../src/domain/callView.js';
import { loadTwilioSchema, validatorFor } from '../support/twilioSchema.js';
import { callRecord } from '../support/callRecords.js';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const CALL = 'CAfedcba9876543210fedcba9876543210';
const T0 = Date.UTC(2019, 11, 18, 20, 2, 1);

const liveCall: CallRecord = callRecord({
  sid: CALL,
  accountSid: ACCOUNT,
  to: '+14155550100',
  from: '+442071838750',
  url: 'https://app.example.com/voice',
  dateCreated: T0,
  dateUpdated: T0,
  startTime: T0,
  answerTime: T0,
});

const endedCall: CallRecord = { ...liveCall, status: 'completed', dateUpdated: T0 + 83_400, endTime: T0 + 83_400 };

describe('callView', () => {
  it("matches Twilio's Call schema, with every property present", () => {
    const validate = validatorFor('api.v2010.account.call');
    for (const call of [liveCall, endedCall]) {
      assert.ok(validate(callView(call)), JSON.stringify(validate.errors));
    }
    const listed = Object.keys(loadTwilioSchema().components.schemas['api.v2010.account.call']?.properties ?? {});
    assert.deepEqual(Object.keys(callView(liveCall)).sort(), listed.sort());
  });

  it('writes RFC 2822 dates and no end or duration while the call lasts', () => {
    const json = callView(liveCall);
    assert.equal(json.date_created, 'Wed, 18 Dec 2019 20:02:01 +0000');
    assert.equal(json.start_time, 'Wed, 18 Dec 2019 20:02:01 +0000');
    assert.equal(json.end_time, null);
    assert.equal(json.duration, null);
  });

  it('reports whole seconds of duration once the call has ended', () => {
    const json = callView(endedCall);
    assert.equal(json.status, 'completed');
    assert.equal(json.end_time, 'Wed, 18 Dec 2019 20:03:24 +0000');
    assert.equal(json.duration, '83');
  });

  it('formats North American numbers for display and leaves others in E.164', () => {
    const json = callView(liveCall);
    assert.equal(json.to_formatted, '(415) 555-0100');
    assert.equal(json.from_formatted, '+442071838750');
  });

  it("gives the call's own and its subresources' Twilio paths", () => {
    const json = callView(liveCall);
    const base = `/2010-04-01/Accounts/${ACCOUNT}/Calls/${CALL}`;
    assert.equal(json.uri, `${base}.json`);
    assert.equal(json.subresource_uris.payments, `${base}/Payments.json`);
    assert.equal(json.subresource_uris.user_defined_message_subscriptions, `${base}/UserDefinedMessageSubscriptions.json`);
    assert.deepEqual(Object.keys(json.subresource_uris).sort(), [
      'events', 'notifications', 'payments', 'recordings', 'siprec', 'streams', 'transcriptions',
      'user_defined_message_subscriptions', 'user_defined_messages',
    ]);
  });

  it('is caught by the schema when a field is wrong or missing', () => {
    const validate = validatorFor('api.v2010.account.call');
    const { price: _price, ...missingPrice } = callView(liveCall);
    assert.equal(validate(missingPrice), false);
    assert.equal(validate({ ...callView(liveCall), date_created: '2019-12-18T20:02:01Z' }), false);
    assert.equal(validate({ ...callView(liveCall), status: 'answered' }), false);
    assert.equal(validate({ ...callView(liveCall), extra: 1 }), false);
    assert.ok(validatorFor('api.v2010.account.call', { allowExtraFields: true })({ ...callView(liveCall), extra: 1 }));
  });
});
