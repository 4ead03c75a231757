/**
 * `GET .../Calls/{CallSid}/Keypad.json`: a real call's keypad counts as an operator reads them, while it is up and
 * after it ended; a sandbox call or another account's call gets Twilio's 20404; `/metrics` has the same keys by
 * transport. No key appears in any answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newPhoneNumber } from '../../src/domain/phoneNumbers.js';
import { newSid } from '../../src/domain/sids.js';
import { newRtpView, readRtp, writeRtpHeader } from '../../src/telephony/media/rtp.js';
import { startInProcess } from '../support/inProcess.js';

const AC = 'AC' + '6'.repeat(32);
const TOKEN = 'a1'.repeat(16);
const auth = { authorization: `Basic ${Buffer.from(`${AC}:${TOKEN}`).toString('base64')}` };

describe("a real call's keypad counts", () => {
  let paytone: Awaited<ReturnType<typeof startInProcess>>;
  const PN = newSid('PN');

  before(async () => {
    paytone = await startInProcess(AC, TOKEN);
    await paytone.app.phoneNumbers.insert(newPhoneNumber({ sid: PN, accountSid: AC, phoneNumber: '+15551230001', settings: {}, now: Date.now() }));
  });
  after(() => paytone.close());

  const get = (callSid: string, account = AC) => paytone.server.inject({ method: 'GET', url: `/2010-04-01/Accounts/${account}/Calls/${callSid}/Keypad.json`, headers: auth });

  it('shows keys by transport while the call is up, and still after it ended', async () => {
    const { app } = paytone;
    const call = await app.callProgress.inbound({ accountSid: AC, to: '+15551230001', from: '+15559870002', phoneNumberSid: PN, sipCallId: 'k@127.0.0.1', sipSourceIp: '127.0.0.1' });
    const tap = app.callKeypads.open(call.sid);
    const view = newRtpView();
    for (const [key, timestamp] of [[4, 1000], [2, 9000]] as const) {
      const packet = Buffer.alloc(16);
      writeRtpHeader(packet, true, 101, 1, timestamp, 0x01020305);
      packet[12] = key;
      packet[13] = 0x8a;
      packet.writeUInt16BE(800, 14);
      readRtp(packet, view);
      tap.telephoneEvent!(view, packet);
    }
    tap.info!('application/dtmf', Buffer.from('5'));

    const up = await get(call.sid);
    assert.equal(up.statusCode, 200);
    assert.deepEqual(up.json(), {
      account_sid: AC,
      call_sid: call.sid,
      live: true,
      keys: { rfc4733: 2, sip_info: 1, in_band: 0 },
      same_key_again: 0,
      // Typed as the call's keypad opened, before its account's masking setting was read: masked, the safe side.
      masked: 3,
      detector_rejections: 0,
      uri: `/2010-04-01/Accounts/${AC}/Calls/${call.sid}/Keypad.json`,
    });
    tap.close!();
    const ended = (await get(call.sid)).json();
    assert.equal(ended.live, false);
    assert.deepEqual(ended.keys, { rfc4733: 2, sip_info: 1, in_band: 0 });

    const metrics = (await paytone.server.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /paytone_dtmf_keys_total\{transport="rfc4733"\} 2/);
    assert.match(metrics, /paytone_dtmf_keys_total\{transport="sip-info"\} 1/);
    assert.match(metrics, /paytone_dtmf_detection_seconds_count\{transport="rfc4733"\} 2/);
  });

  it("answers 20404 for a sandbox call, an unknown call and another account's call", async () => {
    const sandbox = await paytone.server.inject({ method: 'POST', url: `/2010-04-01/Accounts/${AC}/Calls.json`, headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'To=%2B14155550100&From=%2B14155550199&Twiml=%3CResponse%2F%3E' });
    assert.equal(sandbox.statusCode, 201);
    const answer = await get(sandbox.json().sid);
    assert.equal(answer.statusCode, 404);
    assert.equal(answer.json().code, 20404);
    assert.match(answer.json().message, /sandbox call/);
    assert.equal((await get('CA' + 'f'.repeat(32))).json().code, 20404);
    assert.equal((await get(sandbox.json().sid, 'AC' + '9'.repeat(32))).statusCode, 401);
  });
});
