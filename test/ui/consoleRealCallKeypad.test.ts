/**
 * A real call in the agent console (headless Chromium) while its caller types: the field shows the caller typing
 * and the masked progress, as on a sandbox call, and the call's keypad line counts the keys by transport and those
 * masked from the agent. The SIP side is played by the call lifecycle the SIP engine reports into, and the caller's
 * keys by the call's keypad (its RFC 4733 receiver), in the same process.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newPhoneNumber } from '../../src/domain/phoneNumbers.js';
import { newSid } from '../../src/domain/sids.js';
import { newRtpView, readRtp, writeRtpHeader } from '../../src/telephony/media/rtp.js';
import { chromiumSkipReason, launchChromium } from '../support/browser.js';
import { startInProcess } from '../support/inProcess.js';
import { until } from '../support/poll.js';

const AC = 'AC' + '5'.repeat(32);
const token = '5a'.repeat(16);
const skip = chromiumSkipReason();

test('the console shows the caller typing on a real call, the masked progress, and the keypad counts', { skip }, async (t) => {
  const { app, server, close } = await startInProcess(AC, token);
  t.after(close);
  const PN = newSid('PN');
  await app.phoneNumbers.insert(newPhoneNumber({ sid: PN, accountSid: AC, phoneNumber: '+15551230001', settings: {}, now: Date.now() }));
  await server.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
  const browser = await launchChromium();
  t.after(() => browser.close());
  const agent = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  agent.setDefaultTimeout(15_000);
  await agent.goto(`${base}/console`);
  for (const [label, value] of [['Account SID', AC], ['Auth token or key secret', token]]) await agent.getByLabel(label!).fill(value!);
  await agent.keyboard.press('Enter');
  await until('the console to be live', async () => (await agent.locator('#connection').getAttribute('data-state')) === 'live');

  const call = await app.callProgress.inbound({ accountSid: AC, to: '+15551230001', from: '+15559870002', phoneNumberSid: PN, sipCallId: `${newSid('CA')}@127.0.0.1`, sipSourceIp: '127.0.0.1' });
  await app.callProgress.answered(call.sid);
  const tap = app.callKeypads.open(call.sid);
  await agent.locator(`button[data-call-sid="${call.sid}"]`).click();
  const post = async (path: string, form: Record<string, string>) => {
    const answer = await fetch(`${base}/2010-04-01/Accounts/${AC}/Calls/${call.sid}/${path}`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${AC}:${token}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ IdempotencyKey: crypto.randomUUID(), StatusCallback: `${base}/sandbox/StatusCallbacks`, ...form }),
    });
    assert.ok(answer.ok, `${path}: ${answer.status}`);
    return (await answer.json()) as { sid: string };
  };
  const payment = await post('Payments.json', { ChargeAmount: '10' });
  await post(`Payments/${payment.sid}.json`, { Capture: 'payment-card-number' });
  const row = agent.locator('tr[data-field="payment-card-number"]');
  await until('the console to wait for the caller', async () => (await row.getAttribute('data-state')) === 'waiting');

  // The caller types 4, 2, 4, 2 by RFC 4733, each key an event of its own on the caller's media timeline.
  const view = newRtpView();
  for (const [n, key] of [4, 2, 4, 2].entries()) {
    const packet = Buffer.alloc(16);
    writeRtpHeader(packet, true, 101, n, 1000 + n * 2000, 0x01020305);
    packet[12] = key;
    packet[13] = 0x8a;
    packet.writeUInt16BE(800, 14);
    readRtp(packet, view);
    tap.telephoneEvent!(view, packet);
  }
  await until('the console to show the caller typing', async () => (await row.getAttribute('data-state')) === 'typing' && (await row.locator('output').textContent()) === 'xxxx');
  assert.match((await row.textContent()) ?? '', /Caller is typing/);
  const keypad = agent.locator('#keypad');
  await until('the keypad counts to show', async () => (await keypad.getAttribute('data-keys')) === '4' && (await keypad.getAttribute('data-masked')) === '4');
  assert.match((await keypad.textContent()) ?? '', /4 keys \(RFC 4733 4, in-band 0, SIP INFO 0\) · 4 masked from the agent/);
  assert.doesNotMatch((await agent.locator('body').textContent()) ?? '', /4242/, 'no key is on the page');
  tap.close!();
  await app.callProgress.ended(call.sid, 'completed');
});
