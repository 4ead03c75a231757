/**
 * IncomingPhoneNumbers through the official `twilio` client: create, fetch, list with filters and paging, update,
 * delete, every JSON body checked against Twilio's own schema, and the refusals a developer would hit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_SID } from '../support/paytone.js';
import { validatorFor } from '../support/twilioSchema.js';
import { assertEnvelope } from '../support/envelope.js';
import { openPaytone, type PaytoneUnderTest } from './flows.js';

describe('IncomingPhoneNumbers through the twilio client', () => {
  let pay: PaytoneUnderTest;
  const validNumber = (json: unknown): void => {
    const validate = validatorFor('api.v2010.account.incoming_phone_number');
    assert.ok(validate(json), JSON.stringify(validate.errors));
  };
  const lastBody = (): any => pay.client.httpClient!.lastResponse!.body;
  const numbersPath = `/2010-04-01/Accounts/${ACCOUNT_SID}/IncomingPhoneNumbers.json`;

  before(async () => {
    pay = await openPaytone();
  });
  after(async () => {
    await pay.close();
  });

  it('creates a number with its voice settings, fetches, updates and deletes it', async () => {
    const created = await pay.client.incomingPhoneNumbers.create({
      phoneNumber: '+1 (555) 123-0001',
      voiceUrl: 'https://app.example/voice',
      voiceMethod: 'GET',
      voiceFallbackUrl: 'https://app.example/fallback',
      statusCallback: 'https://app.example/status',
    });
    validNumber(lastBody());
    assert.equal(pay.client.httpClient!.lastResponse!.statusCode, 201);
    assert.match(created.sid, /^PN[0-9a-f]{32}$/);
    assert.equal(created.accountSid, ACCOUNT_SID);
    assert.equal(created.phoneNumber, '+15551230001', 'stored in E.164');
    assert.equal(created.friendlyName, '(555) 123-0001', "Twilio's default name: the formatted number");
    assert.equal(created.voiceUrl, 'https://app.example/voice');
    assert.equal(created.voiceMethod, 'GET');
    assert.equal(created.voiceFallbackMethod, 'POST');
    assert.equal(created.statusCallbackMethod, 'POST');
    assert.deepEqual(created.capabilities, { fax: false, mms: false, sms: false, voice: true });
    assert.equal(created.uri, `/2010-04-01/Accounts/${ACCOUNT_SID}/IncomingPhoneNumbers/${created.sid}.json`);

    const fetched = await pay.client.incomingPhoneNumbers(created.sid).fetch();
    validNumber(lastBody());
    assert.equal(fetched.voiceUrl, 'https://app.example/voice');

    const updated = await pay.client.incomingPhoneNumbers(created.sid).update({ friendlyName: 'Payments line', voiceMethod: 'POST', voiceFallbackUrl: '' });
    validNumber(lastBody());
    assert.equal(updated.friendlyName, 'Payments line');
    assert.equal(updated.voiceMethod, 'POST');
    assert.equal(updated.voiceFallbackUrl, null, 'an empty value clears the URL');
    assert.equal(updated.voiceUrl, 'https://app.example/voice', 'what the update did not name stays');
    assert.ok(updated.dateUpdated.getTime() >= created.dateCreated.getTime());

    assert.equal(await pay.client.incomingPhoneNumbers(created.sid).remove(), true);
    assert.equal(pay.client.httpClient!.lastResponse!.statusCode, 204);
    const gone = await pay.paytone.get(`/2010-04-01/Accounts/${ACCOUNT_SID}/IncomingPhoneNumbers/${created.sid}.json`);
    assert.equal(gone.status, 404);
    assertEnvelope(404, gone.body, 'fetch after delete');
    assert.equal(gone.body.code, 20404);
  });

  it('lists numbers a page at a time, filtered by PhoneNumber or FriendlyName', async () => {
    const sids: string[] = [];
    for (let i = 0; i < 3; i++) {
      sids.push((await pay.client.incomingPhoneNumbers.create({ phoneNumber: `+1555987000${i}`, friendlyName: 'desk' })).sid);
    }
    const first = await pay.client.incomingPhoneNumbers.page({ friendlyName: 'desk', pageSize: 2 });
    for (const n of lastBody().incoming_phone_numbers) validNumber(n);
    assert.equal(first.instances.length, 2);
    const second = await first.nextPage();
    assert.equal(second!.instances.length, 1);
    assert.equal(lastBody().next_page_uri, null);
    assert.deepEqual([...first.instances, ...second!.instances].map((n) => n.sid).sort(), [...sids].sort());

    const one = await pay.client.incomingPhoneNumbers.list({ phoneNumber: '+1 555 987 0001' });
    assert.deepEqual(one.map((n) => n.sid), [sids[1]], 'the number matches however it is written');
    assert.deepEqual(await pay.client.incomingPhoneNumbers.list({ phoneNumber: '+15550000000' }), []);
  });

  it('refuses a number that is not E.164, one already registered, and settings that cannot route', async () => {
    const refusals: Array<[Record<string, string>, number, RegExp]> = [
      [{ PhoneNumber: 'hello' }, 21421, /E\.164/],
      [{}, 21421, /PhoneNumber is required/],
      [{ PhoneNumber: '+15551239999', VoiceUrl: '/relative' }, 21205, /VoiceUrl must be an absolute/],
      [{ PhoneNumber: '+15551239999', VoiceMethod: 'PUT' }, 20001, /VoiceMethod must be one of GET, POST/],
      [{ PhoneNumber: '+15551239999', TrunkSid: 'TK' + '0'.repeat(32) }, 20001, /TrunkSid is not supported/],
    ];
    for (const [form, code, message] of refusals) {
      const { status, body } = await pay.paytone.post(numbersPath, form);
      assertEnvelope(status, body, JSON.stringify(form));
      assert.equal(body.code, code, JSON.stringify(form));
      assert.match(body.message, message);
    }
    assert.equal((await pay.client.incomingPhoneNumbers.list({ phoneNumber: '+15551239999' })).length, 0, 'a refused create stores nothing');

    await pay.client.incomingPhoneNumbers.create({ phoneNumber: '+15551230077' });
    const again = await pay.paytone.post(numbersPath, { PhoneNumber: '+15551230077' });
    assertEnvelope(again.status, again.body, 'second create');
    assert.equal(again.body.code, 21422);
  });
});
