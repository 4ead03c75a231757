/**
 * Real outbound calls through the official `twilio` client, with the SIP side played by a dialer that reports
 * into the call lifecycle as the SIP engine does: a `sip:` To is queued and handed to the dialer with its Timeout,
 * answered calls run their TwiML, a hang-up through the API reaches the dialer, plain numbers stay sandbox calls
 * unless a trunk is set, and a `sip:` To with SIP off is refused.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import twilio from 'twilio';
import { buildServer } from '../../src/api/server.js';
import { createAppContext, type AppContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { CallRecord } from '../../src/domain/callView.js';
import type { OutboundDialer } from '../../src/telephony/callPorts.js';
import { fakeCall } from '../support/fakeCall.js';
import { PlacedCalls } from '../../src/app/placedCalls.js';
import { parseCreateCall } from '../../src/domain/callParams.js';
import { parseCallbackPolicy } from '../../src/domain/callbackPolicy.js';
import type { PaytoneError } from '../../src/domain/errors.js';
import { until } from '../support/poll.js';

const AC = 'AC' + '6'.repeat(32);

/** Rings and answers every call it is given, runs its TwiML over a fake control, and ends it when asked. */
function answeringDialer(app: AppContext, dialsNumbers: boolean) {
  const placed: Array<{ call: CallRecord; timeoutSeconds: number }> = [];
  const held = new Map<string, ReturnType<typeof fakeCall>>();
  const dialer: OutboundDialer = {
    dialsNumbers,
    place(call, options) {
      placed.push({ call, timeoutSeconds: options.timeoutSeconds });
      const leg = fakeCall();
      held.set(call.sid, leg);
      void (async () => {
        await app.callProgress.ringing(call.sid);
        await app.callProgress.answered(call.sid);
        await app.callRunner.run((await app.calls.getBySid(call.sid))!, leg.control);
      })();
    },
    async hangUp(callSid) {
      const leg = held.get(callSid);
      if (!leg) return false;
      held.delete(callSid);
      // The BYE: the far end is gone, and the TwiML running on the call stops.
      leg.hangUpFarEnd();
      await app.callProgress.ended(callSid, 'completed');
      return true;
    },
  };
  return { dialer, placed, held };
}

describe('real outbound calls through the twilio client', () => {
  let app: AppContext;
  let server: FastifyInstance;
  let client: twilio.Twilio;

  before(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-placed-'));
    app = await createAppContext(loadConfig({ PAYTONE_DATA_DIR: dataDir }), createLogger({ level: 'silent' }));
    const { authToken } = await app.accounts.createAccount({ sid: AC, friendlyName: 'placed calls test' });
    server = buildServer(app);
    await server.listen({ host: '127.0.0.1', port: 0 });
    client = twilio(AC, authToken);
    client.api.baseUrl = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
  });
  after(async () => {
    await server.close();
    await app.close();
  });

  it('a sip: To is queued, dialed with its Timeout, runs its TwiML once answered, and hangs up through the API', async () => {
    const sip = answeringDialer(app, false);
    app.outboundDialer = sip.dialer;
    const created = await client.calls.create({ to: 'sip:agent@127.0.0.1:5090', from: '+15559870002', twiml: '<Response><Pause length="600"/></Response>', timeout: 25 });
    assert.equal(created.status, 'queued');
    assert.equal(created.direction, 'outbound-api');
    assert.equal(created.to, 'sip:agent@127.0.0.1:5090');
    assert.deepEqual(sip.placed.map((p) => [p.call.sid, p.timeoutSeconds]), [[created.sid, 25]]);
    await until('the call to be answered', async () => (await client.calls(created.sid).fetch()).status === 'in-progress', 5000);

    const ended = await client.calls(created.sid).update({ status: 'completed' });
    assert.equal(ended.status, 'completed');
    assert.ok(ended.startTime instanceof Date && ended.endTime instanceof Date);
  });

  it('Twiml or Url on a call in progress redirects it: the verb running stops and the new TwiML runs', async () => {
    const sip = answeringDialer(app, false);
    app.outboundDialer = sip.dialer;
    const created = await client.calls.create({ to: 'sip:agent@127.0.0.1:5090', from: '+15559870002', twiml: '<Response><Pause length="600"/></Response>' });
    await until('the call to be answered', async () => (await client.calls(created.sid).fetch()).status === 'in-progress', 5000);
    const leg = sip.held.get(created.sid)!;
    await until("the call's TwiML to run", async () => app.callRunner.runs(created.sid), 5000);
    await client.calls(created.sid).update({ twiml: '<Response><Hangup/></Response>' });
    await until('the new TwiML to hang up', async () => leg.actions.includes('hangUp'), 5000);
    await client.calls(created.sid).update({ status: 'completed' });
    await assert.rejects(client.calls(created.sid).update({ twiml: '<Response/>' }), (err: { code: number }) => err.code === 21220, 'an ended call is not redirected');
  });

  it('a plain number stays a sandbox call unless a trunk is set; then it is dialed too', async () => {
    app.outboundDialer = answeringDialer(app, false).dialer;
    assert.equal((await client.calls.create({ to: '+14155550100', from: '+15559870002' })).status, 'in-progress', 'sandbox, as before');
    const trunk = answeringDialer(app, true);
    app.outboundDialer = trunk.dialer;
    const real = await client.calls.create({ to: '+14155550100', from: '+15559870002', url: 'https://app.example/voice' });
    assert.equal(real.status, 'queued');
    assert.equal(trunk.placed[0]!.call.url, 'https://app.example/voice');
  });

  it('refuses a real call without TwiML, and a sip: To while SIP is off', async () => {
    app.outboundDialer = answeringDialer(app, false).dialer;
    await assert.rejects(client.calls.create({ to: 'sip:agent@127.0.0.1', from: '+15559870002' } as never), (err: { code: number }) => err.code === 21205);
    app.outboundDialer = null;
    await assert.rejects(client.calls.create({ to: 'sip:agent@127.0.0.1', from: '+15559870002', twiml: '<Response/>' }), (err: { code: number; message: string }) => err.code === 21211 && /SIP is off/.test(err.message));
  });

  it('asks the callback policy before a real call whose Url paytone would request is placed', async () => {
    const dialer = answeringDialer(app, false);
    const strict = new PlacedCalls({ telephony: app.telephony, progress: app.callProgress, calls: app.calls, policy: parseCallbackPolicy('public', '').policy!, dialer: () => dialer.dialer });
    const form = { To: 'sip:agent@127.0.0.1:5090', From: '+15559870002', Url: 'https://10.0.0.8/voice' };
    await assert.rejects(strict.place(AC, parseCreateCall(form)), (err: PaytoneError) => err.code === 21205 && /private address/.test(err.message));
    assert.deepEqual(dialer.placed, [], 'nothing rang');
    // (A sandbox call's Url is asked of the policy when it is requested; here the app's policy lets anything through.)
    const sandbox = await strict.place(AC, parseCreateCall({ To: '+14155550100', From: '+15559870002', Twiml: '<Response/>' }));
    assert.equal(sandbox.status, 'in-progress', 'a sandbox call is not dialed');
    assert.deepEqual(dialer.placed, []);
  });
});
