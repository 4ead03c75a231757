/**
 * Pay sessions on a real call, through the official `twilio` client: a session starts on the caller's CallSid of
 * an inbound call once it is answered (not while it rings), the sandbox keypad drives it as it drives a sandbox
 * call, and the caller hanging up (the SIP side reporting the end) ends it `caller-hung-up`, as on Twilio.
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
import { newPhoneNumber } from '../../src/domain/phoneNumbers.js';
import { newSid } from '../../src/domain/sids.js';
import { until } from '../support/poll.js';

const AC = 'AC' + '8'.repeat(32);

describe('pay sessions on a real call', () => {
  let app: AppContext;
  let server: FastifyInstance;
  let client: twilio.Twilio;
  let token: string;
  let base = '';
  let receiver: http.Server;
  let receiverUrl = '';
  const callbacks: Array<Record<string, string>> = [];
  const PN = newSid('PN');

  before(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-pay-real-'));
    app = await createAppContext(loadConfig({ PAYTONE_DATA_DIR: dataDir, PAYTONE_DTMF_INTERVAL_MS: '0' }), createLogger({ level: 'silent' }));
    ({ authToken: token } = await app.accounts.createAccount({ sid: AC, friendlyName: 'pay on real calls' }));
    await app.phoneNumbers.insert(newPhoneNumber({ sid: PN, accountSid: AC, phoneNumber: '+15551230001', settings: { voiceUrl: 'https://app.example/voice' }, now: Date.now() }));
    server = buildServer(app);
    await server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
    client = twilio(AC, token);
    client.api.baseUrl = base;
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        callbacks.push(Object.fromEntries(new URLSearchParams(body)));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/pay`;
  });
  after(async () => {
    await server.close();
    await app.close();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('starts once answered, takes the sandbox keypad, and ends caller-hung-up when the caller hangs up', async () => {
    const call = await app.callProgress.inbound({ accountSid: AC, to: '+15551230001', from: '+15559870002', phoneNumberSid: PN, sipCallId: 'c@127.0.0.1', sipSourceIp: '127.0.0.1' });
    await assert.rejects(client.calls(call.sid).payments.create({ idempotencyKey: 'k1', statusCallback: receiverUrl, chargeAmount: 10 }), (err: { code: number }) => err.code === 21220, 'not while it rings');

    await app.callProgress.answered(call.sid);
    const payment = await client.calls(call.sid).payments.create({ idempotencyKey: 'k2', statusCallback: receiverUrl, chargeAmount: 10 });
    await client.calls(call.sid).payments(payment.sid).update({ idempotencyKey: 'k3', statusCallback: receiverUrl, capture: 'payment-card-number' });
    const pressed = await fetch(`${base}/sandbox/Accounts/${AC}/Calls/${call.sid}/Dtmf.json`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${AC}:${token}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Digits=4242424242424242%23',
    });
    assert.equal(pressed.status, 202);
    await until('the card number to be captured', async () => callbacks.some((c) => c.Capture === 'payment-card-number' && c.PartialResult === 'false'), 10_000);
    assert.equal(callbacks.find((c) => c.PartialResult === 'false')!.PaymentCardNumber, 'xxxx-xxxx-xxxx-4242');

    await app.callProgress.ended(call.sid, 'completed');
    await until('the session to end', async () => callbacks.some((c) => c.Result !== undefined), 10_000);
    const final = callbacks.find((c) => c.Result !== undefined)!;
    assert.equal(final.Result, 'caller-hung-up');
    assert.equal(final.CallSid, call.sid);
    assert.ok(!JSON.stringify(callbacks).includes('4242424242424242'), 'no callback carries the card number');
  });
});
