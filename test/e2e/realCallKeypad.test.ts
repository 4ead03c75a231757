/**
 * The caller's keypad on a real call, end to end: SIPp calls in, the app starts a card payment on the caller's
 * CallSid through the official twilio client, and SIPp types the card: by RFC 4733 (its own `play_dtmf` packets),
 * by in-band tones (`rtp_stream` of a µ-law file), by both at once, and by SIP INFO; and linphone types one by SIP
 * INFO, as a softphone set to send its keys so does. Each session ends
 * `Result=success` with, field for field, the same callbacks a sandbox call typed on the sandbox keypad gets.
 *
 * The caller is bridged to a baresip agent that records what it hears: `multimon-ng` and paytone's own detector
 * read no key from it, and with the default `PAYTONE_DTMF_MASK=flat` it holds exactly one beep per key typed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytoneProcess, type PaytoneProcess } from '../support/paytone.js';
import { runNode } from '../support/run.js';
import { startReceiver, type CallbackReceiver } from '../support/receiver.js';
import { startTwimlApp, type TwimlApp } from '../support/twimlApp.js';
import { until } from '../support/poll.js';
import fs from 'node:fs';
import path from 'node:path';
import alawmulaw from 'alawmulaw';
import { CUE, typingCaller, type TypingStep } from '../support/sippScenarios.js';
import { peersOrSkip, scratchDir, startSipp } from '../support/sipPeers.js';
import { beepsAt, keyTones, multimonKeys } from '../support/dtmfSignals.js';
import { freePort, readWav, startBaresipAgent, writeWav } from '../support/sipPeers.js';
import { ToneDetector } from '../../src/telephony/keypad/toneDetector.js';
import { futureExpiry } from './flows.js';
import { linphoneMissing, startLinphoneCaller, type LinphoneCaller } from '../support/linphoneCaller.js';

const skip = peersOrSkip();
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const NUMBER = '+15551230001';
const CARD = '4242424242424242';
const EXPIRY = futureExpiry();
const CODE = '123';

let paytone: PaytoneProcess;
let app: TwimlApp;
let receiver: CallbackReceiver;
let keyCount = 0;
let agentPort = 0;
let agentSays = '';

before(async () => {
  if (skip) return;
  receiver = await startReceiver(AUTH_TOKEN);
  agentPort = await freePort();
  agentSays = path.join(scratchDir(), 'agent.wav');
  // baresip hangs up when its file ends: it says nothing for longer than any call here.
  writeWav(agentSays, new Int16Array(8000 * 120));
  app = await startTwimlApp(AUTH_TOKEN, { '/voice': `<Response><Dial><Sip>sip:agent@127.0.0.1:${agentPort}</Sip></Dial></Response>` });
  paytone = await startPaytoneProcess();
  await paytone.client().incomingPhoneNumbers.create({ phoneNumber: NUMBER, voiceUrl: `${app.url}/voice` });
});

after(async () => {
  await paytone?.stop();
  await app?.close();
  await receiver?.close();
});

/** The agent's side: a card payment on `callSid`, each field asked for once the one before has ended. */
async function pay(callSid: string, type: (field: string, digits: string) => Promise<void>): Promise<{ sid: string; callbacks: Array<Record<string, string>> }> {
  const client = paytone.client();
  const statusCallback = `${receiver.url}/pay`;
  const payment = await client.calls(callSid).payments.create({ idempotencyKey: `k${++keyCount}`, statusCallback, chargeAmount: 10, postalCode: false } as never);
  for (const [field, digits] of [['payment-card-number', `${CARD}#`], ['expiration-date', `${EXPIRY}#`], ['security-code', `${CODE}#`]] as const) {
    await client.calls(callSid).payments(payment.sid).update({ idempotencyKey: `k${++keyCount}`, statusCallback, capture: field });
    await type(field, digits);
    await receiver.waitFor(() => receiver.forSession(payment.sid).some((c) => c.params.Capture === field && c.params.PartialResult === 'false'), 30_000);
    // A field full at its longest ends before its `#`: the agent asks for the next one a moment later, as a person would.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await client.calls(callSid).payments(payment.sid).update({ idempotencyKey: `k${++keyCount}`, statusCallback, status: 'complete' });
  await receiver.waitFor(() => receiver.forSession(payment.sid).some((c) => c.params.Result !== undefined), 30_000);
  return { sid: payment.sid, callbacks: receiver.forSession(payment.sid).map((c) => c.params) };
}

/** A session's callbacks without what differs from one session to the next (sids, dates, the gateway's codes). */
function comparable(callbacks: Array<Record<string, string>>): Array<Record<string, string>> {
  const varying = ['AccountSid', 'CallSid', 'Sid', 'DateCreated', 'DateUpdated', 'PaymentConfirmationCode', 'PaymentToken'];
  return callbacks.map((c) => Object.fromEntries(Object.entries(c).filter(([name]) => !varying.includes(name))));
}

let sandbox: Array<Record<string, string>> | null = null;

/** The callbacks of the same payment typed on a sandbox call's keypad (made once). */
async function sandboxCallbacks(): Promise<Array<Record<string, string>>> {
  if (sandbox !== null) return sandbox;
  const client = paytone.client();
  const call = await client.calls.create({ to: '+14155550100', from: '+14155550199', twiml: '<Response><Pause length="60"/></Response>' });
  sandbox = (await pay(call.sid, (_field, digits) => paytone.press(call.sid, digits))).callbacks;
  await client.calls(call.sid).update({ status: 'completed' });
  return sandbox;
}

/** How long each key lasts, with a gap as long after it (SIPp's play_dtmf paces its keys so). */
const KEY_MS = 200;

/** A headerless µ-law file of `keys` as tones, paced as play_dtmf paces its events. */
function toneFile(keys: string, leadMs = 0): string {
  const file = path.join(scratchDir(), 'keys.ul');
  fs.writeFileSync(file, alawmulaw.mulaw.encode(keyTones(keys, { toneMs: KEY_MS, gapMs: KEY_MS, leadMs, levelDbm0: -8 }).samples));
  return file;
}

/**
 * SIPp's play_dtmf sends its first event 400 ms plus two key lengths after the exec (400 ms of PT 97 no-op packets
 * first; measured: 600 ms for 120 ms keys, 800 ms for 200 ms ones); the tone file waits as long, so both carry each
 * key at the same moment, as a gateway sending both does. (Started together, each tone would lead its event by
 * two key lengths and more: another place on the timeline, no longer the same key.)
 */
const PLAY_DTMF_DELAY_MS = 400 + 2 * KEY_MS;

/** Beats of 20 ms the media clock skipped so far because the process stalled (audio no agent can have heard). */
async function skippedBeats(): Promise<number> {
  const text = await (await fetch(`${paytone.baseUrl}/metrics`)).text();
  return Number(/^paytone_media_skipped_beats_total (\d+)/m.exec(text)?.[1] ?? 0);
}

/** A caller on the line: `end` waits for it to hang up. */
interface Caller {
  end(): Promise<void>;
}

/** SIPp calls in and does `steps`; `cue` lets it past a `{ cue: true }` step. */
async function sippCaller(steps: TypingStep[]): Promise<Caller & { cue(): Promise<void> }> {
  const sipp = await startSipp(typingCaller(steps), { target: paytone.sipPort!, service: NUMBER, media: true, seconds: 90 });
  return {
    cue: () => sipp.cue(),
    end: async () => {
      const run = await sipp.done;
      assert.equal(run.code, 0, run.log);
    },
  };
}

/** A caller (`call` places it) bridged to a baresip agent, while `meanwhile` runs on its CallSid; what the agent heard. */
async function callTheAgent<C extends Caller, T>(call: () => Promise<C>, meanwhile: (callSid: string, caller: C) => Promise<T>): Promise<{ callSid: string; done: T; agentHeard: Int16Array; skipped: number }> {
  const skippedBefore = await skippedBeats();
  const client = paytone.client();
  const agent = await startBaresipAgent(agentSays, agentPort, 120);
  const caller = await call();
  const [inbound] = await until('the call to be answered', async () => {
    const list = await client.calls.list({ to: NUMBER, status: 'in-progress' });
    return list.length === 1 && list;
  });
  const done = await meanwhile(inbound!.sid, caller);
  await caller.end();
  let legs: string[] = [];
  await until(
    () => `the agent leg to end (${legs.join(', ')})`,
    async () => (legs = (await client.calls.list({ parentCallSid: inbound!.sid })).map((c) => c.status)).every((status) => status === 'completed'),
    30_000,
  );
  await agent.stop();
  const recording = agent.heardFile();
  assert.ok(recording !== null, 'the agent recorded the call');
  return { callSid: inbound!.sid, done, agentHeard: readWav(recording), skipped: (await skippedBeats()) - skippedBefore };
}

/**
 * SIPp calls in and types card, expiry and code as `how` says, each once the agent has asked for it (a cue), and
 * hangs up when the payment has ended; the agent's app takes the payment; what the agent heard. `leadMs`: how long
 * the caller waits, once asked, before the first key.
 */
async function realPayment(how: (digits: string) => TypingStep[], leadMs = 0): Promise<{ callSid: string; callbacks: Array<Record<string, string>>; agentHeard: Int16Array; skipped: number }> {
  const steps = [CUE, ...(leadMs > 0 ? [{ pause: leadMs }] : []), ...how(`${CARD}#`), CUE, ...how(`${EXPIRY}#`), CUE, ...how(`${CODE}#`), CUE];
  const { callSid, done, agentHeard, skipped } = await callTheAgent(
    () => sippCaller(steps),
    async (sid, caller) => {
      const paid = await pay(sid, () => caller.cue());
      await caller.cue();
      return paid;
    },
  );
  return { callSid, callbacks: done.callbacks, agentHeard, skipped };
}

const TYPED_KEYS = `${CARD}#${EXPIRY}#${CODE}#`.length;

/**
 * What the agent heard: no key by multimon-ng nor by paytone's detector; one beep per key the caller typed. When the
 * process stalled and its media clock skipped beats (a loaded machine), the 60 ms beeps those beats carried were
 * never sent: at most one beep per three skipped beats may be missing then, and never one more than typed.
 */
function assertAgentHeardNoKey(heard: Int16Array, skipped = 0): void {
  assert.ok(heard.length >= 8000 * 10, `${heard.length / 8000} s recorded`);
  assert.equal(multimonKeys(heard), '', 'multimon-ng reads no key from the agent leg');
  let keys = '';
  const detector = new ToneDetector({ onKey: (key) => (keys += key), onEnd: () => undefined });
  for (let at = 0; at + 160 <= heard.length; at += 160) detector.write(heard.subarray(at, at + 160), at);
  assert.equal(keys, '', "paytone's detector reads no key from the agent leg");
  const beeps = beepsAt(heard, 1000);
  if (skipped === 0) assert.equal(beeps, TYPED_KEYS, 'one beep per key typed');
  else assert.ok(beeps <= TYPED_KEYS && beeps >= TYPED_KEYS - Math.ceil(skipped / 3), `one beep per key typed (${beeps} of ${TYPED_KEYS}; ${skipped} beats skipped)`);
}

async function assertLikeSandbox(real: { callSid: string; callbacks: Array<Record<string, string>>; agentHeard: Int16Array; skipped: number }): Promise<void> {
  const final = real.callbacks.at(-1)!;
  assert.equal(final.Result, 'success', JSON.stringify(final));
  assert.equal(final.CallSid, real.callSid);
  assert.deepEqual(comparable(real.callbacks), comparable(await sandboxCallbacks()));
  const everything = JSON.stringify(real.callbacks) + paytone.output();
  assert.ok(!everything.includes(CARD), 'the card number is in no callback and no log line');
  assertAgentHeardNoKey(real.agentHeard, real.skipped);
}

test('SIPp types a card by RFC 4733 (card, expiry) and SIP INFO (code): the sandbox keypad\'s callbacks, Result=success', { skip }, async () => {
  let field = 0;
  await assertLikeSandbox(await realPayment((digits) => (++field === 3 ? [{ info: digits }] : [{ rfc4733: digits, ms: KEY_MS }])));
});

test('linphone types a card by SIP INFO (its `dtmf` with use_info=1): the same callbacks', { skip: skip ?? linphoneMissing() ?? undefined }, async () => {
  let linphone: LinphoneCaller | null = null;
  const call = async () => {
    const caller = await startLinphoneCaller({ target: paytone.sipPort!, number: NUMBER });
    linphone = caller;
    await caller.answered;
    return { end: async () => void (await caller.hangUp()) };
  };
  // Each field is typed when the agent has asked for it, a key every 300 ms.
  const { callSid, done, agentHeard, skipped } = await callTheAgent(call, (sid) => pay(sid, (_field, digits) => linphone!.type(digits, 300)));
  await assertLikeSandbox({ callSid, callbacks: done.callbacks, agentHeard, skipped });
  // Every key came by SIP INFO: the call's keypad as an operator reads it.
  const keypad = await fetch(`${paytone.baseUrl}/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${callSid}/Keypad.json`, {
    headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` },
  });
  assert.deepEqual((await keypad.json()).keys, { rfc4733: 0, sip_info: TYPED_KEYS, in_band: 0 });
});

test('SIPp types a card as in-band tones in its audio: the same callbacks', { skip }, async () => {
  await assertLikeSandbox(await realPayment((digits) => [{ stream: toneFile(digits) }]));
});

test('SIPp types each key both as tones and as RFC 4733 events at once: each key counts once', { skip }, async () => {
  // SIPp stamps its events from a clock that stands still between keys: measured against its audio, -2,800 samples
  // a key (-15,573 at the first key typed 4 s into the call, -113,693 at the last). paytone places events that far off
  // the audio's timeline where they arrive. Typed at once, the first keys' stamps are still within 1 s (8,000 samples)
  // of the audio's, so they are taken as on its timeline, hundreds of ms off, and count twice. The caller starts 4 s in.
  await assertLikeSandbox(await realPayment((digits) => [{ stream: toneFile(digits, PLAY_DTMF_DELAY_MS) }, { rfc4733: digits, ms: KEY_MS }], 4000));
});

test('outside a pay session keys reach the agent as typed (an IVR menu); an account that masks every key hides them', { skip }, async () => {
  const menu = [{ pause: 3000 }, { stream: toneFile('159#') }, { pause: 4 * 2 * KEY_MS + 2000 }];
  const passed = await callTheAgent(() => sippCaller(menu), async () => undefined);
  assert.equal(multimonKeys(passed.agentHeard), '159#', 'no pay session: the agent hears the keys');
  assert.equal(beepsAt(passed.agentHeard, 1000), 0);

  const updated = await runNode(CLI, ['accounts', 'update', '--account', ACCOUNT_SID, '--mask-keys', 'always'], { PAYTONE_DATA_DIR: paytone.dataDir });
  assert.equal(updated.code, 0, updated.stderr);
  try {
    const masked = await callTheAgent(() => sippCaller(menu), async () => undefined);
    assert.equal(multimonKeys(masked.agentHeard), '', 'every key masked: the agent hears none');
    assert.equal(beepsAt(masked.agentHeard, 1000), 4, 'one beep per key');
  } finally {
    await runNode(CLI, ['accounts', 'update', '--account', ACCOUNT_SID, '--mask-keys', 'pay-sessions'], { PAYTONE_DATA_DIR: paytone.dataDir });
  }
});
