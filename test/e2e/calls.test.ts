/**
 * The Calls resource through the official `twilio` client: create, fetch, list with paging, hang up, and every
 * Call JSON checked against Twilio's own schema.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_SID } from '../support/paytone.js';
import { validatorFor } from '../support/twilioSchema.js';
import { assertEnvelope } from '../support/envelope.js';
import { openPaytone, type PaytoneUnderTest } from './flows.js';

describe('Calls through the twilio client', () => {
  let pay: PaytoneUnderTest;
  const validCall = (json: unknown): void => {
    const validate = validatorFor('api.v2010.account.call');
    assert.ok(validate(json), JSON.stringify(validate.errors));
  };
  const lastBody = (): any => pay.client.httpClient!.lastResponse!.body;

  before(async () => {
    pay = await openPaytone();
  });
  after(async () => {
    await pay.close();
  });

  it('creates, fetches and hangs up a call in Twilio\'s Call JSON', async () => {
    const created = await pay.client.calls.create({ to: '+14155550100', from: '+14155550199', url: 'https://example.com/voice' });
    validCall(lastBody());
    assert.match(created.sid, /^CA[0-9a-f]{32}$/);
    assert.equal(created.accountSid, ACCOUNT_SID);
    assert.equal(created.status, 'in-progress', 'the sandbox answers at once');
    assert.equal(created.to, '+14155550100');
    assert.equal(created.toFormatted, '(415) 555-0100');
    assert.ok(created.dateCreated instanceof Date && !Number.isNaN(created.dateCreated.getTime()), 'an RFC 2822 date the client reads');
    assert.equal(created.uri, `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${created.sid}.json`);
    assert.equal(created.subresourceUris.payments, `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${created.sid}/Payments.json`);

    const fetched = await pay.client.calls(created.sid).fetch();
    validCall(lastBody());
    assert.equal(fetched.sid, created.sid);
    assert.equal(fetched.endTime, null);

    const ended = await pay.client.calls(created.sid).update({ status: 'completed' });
    validCall(lastBody());
    assert.equal(ended.status, 'completed');
    assert.ok(ended.endTime instanceof Date);
    assert.match(ended.duration, /^\d+$/);
    assert.equal((await pay.client.calls(created.sid).fetch()).status, 'completed');
  });

  it('lists calls a page at a time with PageSize', async () => {
    const to = '+14155550123';
    const sids: string[] = [];
    for (let i = 0; i < 5; i++) sids.push((await pay.client.calls.create({ to, from: '+14155550199', twiml: '<Response/>' })).sid);

    const first = await pay.client.calls.page({ to, pageSize: 2 });
    assert.equal(first.instances.length, 2);
    for (const call of lastBody().calls) validCall(call);
    assert.equal(lastBody().page_size, 2);
    assert.ok(lastBody().next_page_uri);
    const second = await first.nextPage();
    assert.equal(second!.instances.length, 2);
    const third = await second!.nextPage();
    assert.equal(third!.instances.length, 1);
    assert.equal(lastBody().next_page_uri, null);

    const paged = [...first.instances, ...second!.instances, ...third!.instances].map((c) => c.sid);
    assert.deepEqual([...paged].sort(), [...sids].sort(), 'each call once, on one page');
    const listed = await pay.client.calls.list({ to, pageSize: 2 });
    assert.deepEqual(listed.map((c) => c.sid).sort(), [...sids].sort(), 'the client follows next_page_uri');
  });

  it('sends the status callbacks StatusCallbackEvent asks for, by GET when asked, signed as the client checks them', async () => {
    const created = await pay.client.calls.create({
      to: '+14155550142',
      from: '+14155550199',
      twiml: '<Response/>',
      statusCallback: `${pay.receiver.url}/call-status?desk=7`,
      statusCallbackMethod: 'GET',
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    });
    await pay.client.calls(created.sid).update({ status: 'completed' });
    const ofCall = () => pay.receiver.received.filter((r) => r.params.CallSid === created.sid);
    await pay.receiver.waitFor(() => ofCall().length === 4);
    const got = ofCall();
    assert.deepEqual(got.map((r) => [r.method, r.params.CallStatus, r.params.SequenceNumber]), [
      ['GET', 'initiated', '0'],
      ['GET', 'ringing', '1'],
      ['GET', 'in-progress', '2'],
      ['GET', 'completed', '3'],
    ]);
    for (const callback of got) {
      assert.ok(callback.signatureValid, 'twilio.validateRequest accepts the GET');
      assert.equal(callback.params.desk, '7', "the URL's own query is kept");
      assert.equal(callback.raw, '', 'no body');
    }
    assert.equal(got[3]!.params.To, '+14155550142');
    assert.match(got[3]!.params.CallDuration!, /^\d+$/);
  });

  it("refuses a To that is neither a number nor a SIP URI with Twilio's 21211", async () => {
    const { status, body } = await pay.paytone.post(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`, { To: 'hello', From: '+14155550199' });
    assertEnvelope(status, body, 'To=hello');
    assert.equal(body.code, 21211);
    assert.match(body.message, /E\.164/);
  });

  it('lists only the calls that match a Status filter', async () => {
    const to = '+14155550124';
    const open = await pay.client.calls.create({ to, from: '+14155550199', twiml: '<Response/>' });
    const hungUp = await pay.client.calls.create({ to, from: '+14155550199', twiml: '<Response/>' });
    await pay.client.calls(hungUp.sid).update({ status: 'completed' });
    assert.deepEqual((await pay.client.calls.list({ to, status: 'in-progress' })).map((c) => c.sid), [open.sid]);
    assert.deepEqual((await pay.client.calls.list({ to, status: 'completed' })).map((c) => c.sid), [hungUp.sid]);
  });
});
