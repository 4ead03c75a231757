/**
 * A real call's Twilio side end to end, with the SIP side played by a control that reports into the lifecycle as
 * the SIP engine does: a number registered through the API, an INVITE for it, the signed voice webhook, a `<Dial>`
 * whose leg is a child call, the action, the status callbacks, and the notification a verb paytone does not run
 * leaves on the call, each read back through the API in Twilio's JSON.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import twilio from 'twilio';
import { buildServer } from '../../src/api/server.js';
import { createAppContext, type AppContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { CallRecord } from '../../src/domain/callView.js';
import type { CallControl } from '../../src/twiml/callControl.js';
import { validatorFor } from '../support/twilioSchema.js';
import { until } from '../support/poll.js';

const AC = 'AC' + '5'.repeat(32);

/** What the SIP engine would do for each verb, reported into the lifecycle the way it reports a real leg. */
function sipLikeControl(app: AppContext, call: CallRecord): CallControl & { actions: string[] } {
  const farEnd = new AbortController();
  const actions: string[] = [];
  return {
    callSid: call.sid,
    hungUp: farEnd.signal,
    actions,
    async answer() {
      actions.push('answer');
      await app.callProgress.answered(call.sid);
    },
    async reject(reason) {
      actions.push(`reject ${reason}`);
      await app.callProgress.ended(call.sid, reason === 'busy' ? 'busy' : 'no-answer');
    },
    async hangUp() {
      actions.push('hangUp');
      await app.callProgress.ended(call.sid, 'completed');
    },
    async dial(targets, options) {
      const target = targets[0]!;
      actions.push('dial');
      const child = await app.callProgress.child({ parentCallSid: call.sid, to: target.kind === 'sip' ? target.uri : target.number, from: options.callerId ?? call.from, statusCallback: target.statusCallback });
      await app.callProgress.ringing(child.sid);
      await app.callProgress.answered(child.sid);
      await app.callProgress.ended(child.sid, 'completed');
      return { status: 'completed', childCallSid: child.sid, durationSeconds: 0 };
    },
    voice: app.callVoices(() => null),
  };
}

describe('a real call, its SIP side played by a test', () => {
  let app: AppContext;
  let server: FastifyInstance;
  let token: string;
  let appServer: http.Server;
  let appUrl = '';
  const received: Array<{ method: string; path: string; params: Record<string, string>; valid: boolean }> = [];
  const documents: Record<string, string> = {};

  const api = async (method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<{ status: number; body: any }> => {
    const response = await server.inject({
      method,
      url,
      headers: { authorization: `Basic ${Buffer.from(`${AC}:${token}`).toString('base64')}`, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      payload: form ? new URLSearchParams(form).toString() : undefined,
    });
    return { status: response.statusCode, body: response.json() };
  };

  before(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-runner-'));
    app = await createAppContext(loadConfig({ PAYTONE_DATA_DIR: dataDir }), createLogger({ level: 'silent' }));
    ({ authToken: token } = await app.accounts.createAccount({ sid: AC, friendlyName: 'runner test' }));
    server = buildServer(app);
    await server.ready();
    appServer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const url = `${appUrl}${req.url}`;
        const params = Object.fromEntries(new URLSearchParams(body));
        received.push({ method: req.method!, path: new URL(url).pathname, params, valid: twilio.validateRequest(token, String(req.headers['x-twilio-signature']), url, params) });
        res.writeHead(200, { 'content-type': 'text/xml' }).end(documents[new URL(url).pathname] ?? '<Response/>');
      });
    });
    await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
    appUrl = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`;
  });
  after(async () => {
    await server.close();
    await app.close();
    appServer.closeAllConnections();
    await new Promise((resolve) => appServer.close(resolve));
  });

  it('an INVITE for a number runs its VoiceUrl; <Dial> makes a child call; action runs; the number hears the end', async () => {
    documents['/voice'] = '<Response><Dial action="/after"><Sip statusCallback="/leg" statusCallbackEvent="initiated answered completed">sip:agent@127.0.0.1:5090</Sip></Dial></Response>';
    documents['/after'] = '<Response><Hangup/></Response>';
    const created = await api('POST', `/2010-04-01/Accounts/${AC}/IncomingPhoneNumbers.json`, { PhoneNumber: '+15551230001', VoiceUrl: `${appUrl}/voice`, StatusCallback: `${appUrl}/number-status` });
    assert.equal(created.status, 201);

    const number = (await app.phoneNumbers.findByNumber('+15551230001'))!;
    const call = await app.callProgress.inbound({ accountSid: number.accountSid, to: '+15551230001', from: '+15559870002', phoneNumberSid: number.sid, sipCallId: 'a84b4c76e66710@127.0.0.1', sipSourceIp: '127.0.0.1' });
    const control = sipLikeControl(app, call);
    await app.callRunner.run(call, control);
    assert.deepEqual(control.actions, ['answer', 'dial', 'hangUp']);

    const voice = received.find((r) => r.path === '/voice')!;
    assert.ok(voice.valid, 'the voice webhook is signed as twilio.validateRequest checks it');
    assert.equal(voice.params.Direction, 'inbound');
    assert.equal(voice.params.CallStatus, 'ringing');
    assert.equal(voice.params.SipCallId, 'a84b4c76e66710@127.0.0.1');
    const after = received.find((r) => r.path === '/after')!;
    assert.equal(after.params.DialCallStatus, 'completed');

    const parent = await api('GET', `/2010-04-01/Accounts/${AC}/Calls/${call.sid}.json`);
    const validCall = validatorFor('api.v2010.account.call');
    assert.ok(validCall(parent.body as unknown), JSON.stringify(validCall.errors));
    assert.equal(parent.body.status, 'completed');
    assert.equal(parent.body.direction, 'inbound');
    assert.equal(parent.body.phone_number_sid, number.sid);
    const legs = await api('GET', `/2010-04-01/Accounts/${AC}/Calls.json?ParentCallSid=${call.sid}`);
    assert.equal(legs.body.calls.length, 1);
    assert.equal(legs.body.calls[0].sid, after.params.DialCallSid);
    assert.equal(legs.body.calls[0].direction, 'outbound-dial');
    assert.equal(legs.body.calls[0].to, 'sip:agent@127.0.0.1:5090');

    await until('the status callbacks to arrive', async () => received.filter((r) => r.path === '/leg').length === 3 && received.some((r) => r.path === '/number-status'), 10_000);
    assert.deepEqual(received.filter((r) => r.path === '/leg').map((r) => r.params.CallStatus), ['initiated', 'in-progress', 'completed']);
    const numberStatus = received.find((r) => r.path === '/number-status')!;
    assert.equal(numberStatus.params.CallSid, call.sid);
    assert.equal(numberStatus.params.CallStatus, 'completed');
    assert.ok(numberStatus.valid);
  });

  it('a verb paytone does not run ends the call with a notification, listed per call and per account', async () => {
    documents['/record'] = '<Response><Record/></Response>';
    await api('POST', `/2010-04-01/Accounts/${AC}/IncomingPhoneNumbers.json`, { PhoneNumber: '+15551230002', VoiceUrl: `${appUrl}/record` });
    const number = (await app.phoneNumbers.findByNumber('+15551230002'))!;
    const call = await app.callProgress.inbound({ accountSid: AC, to: number.phoneNumber, from: '+15559870002', phoneNumberSid: number.sid, sipCallId: 'b@127.0.0.1', sipSourceIp: '127.0.0.1' });
    const control = sipLikeControl(app, call);
    await app.callRunner.run(call, control);
    assert.deepEqual(control.actions, ['hangUp']);

    const listed = await api('GET', `/2010-04-01/Accounts/${AC}/Calls/${call.sid}/Notifications.json`);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.notifications.length, 1);
    const validItem = validatorFor('api.v2010.account.call.call_notification');
    assert.ok(validItem(listed.body.notifications[0] as unknown), JSON.stringify(validItem.errors));
    const item = listed.body.notifications[0];
    assert.equal(item.error_code, '12200');
    assert.equal(item.call_sid, call.sid);
    assert.match(new URLSearchParams(item.message_text).get('Msg')!, /does not run <Record> yet/);

    const one = await api('GET', `/2010-04-01/Accounts/${AC}/Calls/${call.sid}/Notifications/${item.sid}.json`);
    const validInstance = validatorFor('api.v2010.account.call.call_notification-instance');
    assert.ok(validInstance(one.body), JSON.stringify(validInstance.errors));
    const account = await api('GET', `/2010-04-01/Accounts/${AC}/Notifications.json?Log=0`);
    assert.ok(account.body.notifications.some((n: { sid: string }) => n.sid === item.sid));
    const validAccountItem = validatorFor('api.v2010.account.notification');
    assert.ok(validAccountItem(account.body.notifications[0]), JSON.stringify(validAccountItem.errors));
    assert.equal((await api('GET', `/2010-04-01/Accounts/${AC}/Notifications/NO${'0'.repeat(32)}.json`)).status, 404);
  });
});
