/**
 * An IVR on a sandbox call, end to end: an app built with the twilio package's VoiceResponse serves a menu
 * (`<Say>`, `<Gather>` with a nested `<Say>`, `<Play>` of a WAV file, `<Hangup>`); the call is placed with the
 * official client, the caller presses keys on the sandbox keypad, and what paytone says shows in the call's live
 * feed ("paytone said: …"). Each request to the app is checked field by field and with `twilio.validateRequest`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytoneProcess, type PaytoneProcess } from '../support/paytone.js';
import { startTwimlApp, type TwimlApp } from '../support/twimlApp.js';
import { basicAuth, openEventStream, type EventStream, type StreamEvent } from '../support/sse.js';
import { until } from '../support/poll.js';
import { writeWav, testSignal, scratchDir } from '../support/sipPeers.js';
import fs from 'node:fs';
import path from 'node:path';

let paytone: PaytoneProcess;
let app: TwimlApp;

/** Half a second of sound as a WAV file, as an app would serve a recorded prompt. */
function promptWav(): Buffer {
  const file = path.join(scratchDir(), 'prompt.wav');
  writeWav(file, testSignal(1).samples.subarray(0, 4000));
  return fs.readFileSync(file);
}

before(async () => {
  const welcome = new twilio.twiml.VoiceResponse();
  welcome.say({ voice: 'woman', language: 'en-GB' }, 'Welcome to Example Utilities.');
  welcome.gather({ numDigits: 1, action: '/menu', timeout: 10 }).say('For billing press 1. To pay by card press 2.');
  welcome.say('We did not hear from you.');
  const menu = new twilio.twiml.VoiceResponse();
  menu.say('You chose billing.');
  menu.play({}, '/prompt.wav');
  menu.play({}, '/missing.wav');
  menu.hangup();
  const account = new twilio.twiml.VoiceResponse();
  account.gather({ action: '/account', timeout: 5 }).say('Enter your account number, then the pound key.');
  account.say('Goodbye.');
  const thanks = new twilio.twiml.VoiceResponse();
  thanks.say('Thank you.');
  thanks.redirect({ method: 'GET' }, '/goodbye');
  app = await startTwimlApp(AUTH_TOKEN, {
    '/voice': welcome.toString(),
    '/menu': menu.toString(),
    '/prompt.wav': { contentType: 'audio/wav', body: promptWav() },
    '/account-entry': account.toString(),
    '/account': thanks.toString(),
    '/goodbye': new twilio.twiml.VoiceResponse().say('Goodbye.').toString(),
  });
  paytone = await startPaytoneProcess();
});

after(async () => {
  await paytone?.stop();
  await app?.close();
});

/** Places a sandbox call with the account's live feed already open, so nothing it says is missed. */
async function place(params: { to: string; url?: string; twiml?: string }): Promise<{ callSid: string; feed: EventStream; said: (text: string) => Promise<unknown>; next: (kind: string, test?: (p: Record<string, string>) => boolean) => Promise<StreamEvent> }> {
  const feed = await openEventStream(`${paytone.baseUrl}/v1/Accounts/${ACCOUNT_SID}/Events`, { authorization: basicAuth(ACCOUNT_SID, AUTH_TOKEN) });
  const call = await paytone.client().calls.create({ from: '+14155550199', ...params });
  const next = (kind: string, test: (p: Record<string, string>) => boolean = () => true) => feed.next((e) => e.data.call_sid === call.sid && e.event === kind && test(e.data.parameters), 0, 15_000);
  return { callSid: call.sid, feed, next, said: (text) => next('said', (p) => p.Text === text) };
}

function saidOn(feed: EventStream, callSid: string): string[] {
  return feed.events.filter((e) => e.data.call_sid === callSid && e.event === 'said').map((e) => e.data.parameters.Text);
}

describe('an IVR on a sandbox call', () => {
  it('says the menu, reads a key from the sandbox keypad, posts Digits to action and runs what it returns', async () => {
    const client = paytone.client();
    const { callSid, feed, said, next } = await place({ to: '+14155550100', url: `${app.url}/voice` });
    const welcome = await next('said');
    assert.deepEqual(welcome.data.parameters, { Text: 'Welcome to Example Utilities.', Voice: 'woman', Language: 'en-GB' });
    await said('For billing press 1. To pay by card press 2.');
    await paytone.press(callSid, '1');
    await until('the menu choice to reach the app', async () => app.to('/menu').length === 1);
    const [choice] = app.to('/menu');
    assert.equal(choice!.method, 'POST');
    assert.ok(choice!.signatureValid, 'signed like every webhook');
    assert.equal(choice!.params.Digits, '1');
    assert.equal(choice!.params.FinishedOnKey, '');
    assert.equal(choice!.params.CallSid, callSid);
    assert.equal(choice!.params.AccountSid, ACCOUNT_SID);
    assert.equal(choice!.params.CallStatus, 'in-progress');
    await said('You chose billing.');
    const played = await next('played');
    assert.equal(played.data.parameters.Url, `${app.url}/prompt.wav`);
    await next('call-status', (p) => p.CallStatus === 'completed');
    assert.equal(app.to('/prompt.wav').length, 1, 'the file was fetched');
    assert.ok(!saidOn(feed, callSid).includes('We did not hear from you.'), 'the verbs after <Gather> were not reached');
    feed.close();
    const notifications = await client.calls(callSid).notifications.list();
    assert.equal(notifications.length, 1, 'the file that could not be played');
    assert.equal(notifications[0]!.errorCode, '13617', 'the app answered text, not audio');
  });

  it('reads an account number up to the pound key, follows <Redirect>; the call stays up after its TwiML ends', async () => {
    const client = paytone.client();
    const { callSid, feed, said } = await place({ to: '+14155550101', url: `${app.url}/account-entry` });
    await said('Enter your account number, then the pound key.');
    await paytone.press(callSid, '90210#');
    await until('the account number to reach the app', async () => app.to('/account').length === 1);
    assert.equal(app.to('/account')[0]!.params.Digits, '90210');
    assert.equal(app.to('/account')[0]!.params.FinishedOnKey, '#');
    await said('Thank you.');
    await said('Goodbye.');
    assert.equal(app.to('/goodbye')[0]!.method, 'GET');
    assert.equal((await client.calls(callSid).fetch()).status, 'in-progress', 'a sandbox call outlives its TwiML');
    await client.calls(callSid).update({ status: 'completed' });
    feed.close();
  });

  it('with no key, the document goes on after <Gather>; a card number said back is masked in the feed', async () => {
    const twiml = `<Response><Gather timeout="1" action="${app.url}/never"><Say>Press any key.</Say></Gather><Say>Card 4000000000000002 was declined.</Say><Say>Goodbye.</Say><Hangup/></Response>`;
    const { callSid, feed, next } = await place({ to: '+14155550102', twiml });
    await next('call-status', (p) => p.CallStatus === 'completed');
    assert.deepEqual(saidOn(feed, callSid), ['Press any key.', 'Card ************0002 was declined.', 'Goodbye.']);
    assert.ok(!feed.raw().includes('4000000000000002'));
    assert.equal(app.to('/never').length, 0);
    feed.close();
  });
});
