/**
 * A card typed on a real call, every way a keypad reaches paytone: SIPp calls a number of the account, types the card
 * number by RFC 4733, the expiry as in-band tones in its audio and the security code by SIP INFO, while the agent's
 * side (the official twilio client) asks for each field once the one before is accepted, then completes.
 *
 * @example
 *   const { callSid, sid } = await typeCardOnRealCall(pay, { number: '+15551230300', card, last4: '1881', expiry, code });
 */
import fs from 'node:fs';
import path from 'node:path';
import alawmulaw from 'alawmulaw';
import type { PaytoneUnderTest } from '../e2e/flows.js';
import { AUTH_TOKEN } from './paytone.js';
import { until } from './poll.js';
import { keyTones } from './dtmfSignals.js';
import { scratchDir, startSipp } from './sipPeers.js';
import { CUE, typingCaller } from './sippScenarios.js';
import { startTwimlApp } from './twimlApp.js';

export interface RealCallCard {
  /** The IncomingPhoneNumber the caller dials (created here). */
  number: string;
  card: string;
  last4: string;
  expiry: string;
  code: string;
}

/** How long each key lasts, with a gap as long after it. */
const KEY_MS = 200;

export async function typeCardOnRealCall(pay: PaytoneUnderTest, c: RealCallCard): Promise<{ callSid: string; sid: string; sippLog: string; sippCode: number | null }> {
  const app = await startTwimlApp(AUTH_TOKEN, { '/voice': '<Response><Pause length="60"/></Response>' });
  try {
    await pay.client.incomingPhoneNumbers.create({ phoneNumber: c.number, voiceUrl: `${app.url}/voice` });
    const tones = path.join(scratchDir(), 'expiry.ul');
    fs.writeFileSync(tones, alawmulaw.mulaw.encode(keyTones(`${c.expiry}#`, { toneMs: KEY_MS, gapMs: KEY_MS, leadMs: 0, levelDbm0: -8 }).samples));
    // Each field is typed once the agent has asked for it (a cue), and the caller hangs up when the payment ended.
    const steps = [CUE, { rfc4733: `${c.card}#`, ms: KEY_MS }, CUE, { stream: tones }, CUE, { info: `${c.code}#` }, CUE];
    const sipp = await startSipp(typingCaller(steps), { target: pay.paytone.sipPort!, service: c.number, media: true, seconds: 90 });
    const [call] = await until('the real call to be answered', async () => {
      const list = await pay.client.calls.list({ to: c.number, status: 'in-progress' });
      return list.length === 1 && list;
    });
    const callSid = call!.sid;
    const { sid } = await pay.startSession({ chargeAmount: 20, postalCode: false }, callSid);
    const fields: Array<[string, (view: Record<string, any>) => boolean]> = [
      ['payment-card-number', (v) => v.payment_card_number?.endsWith(c.last4) && !v.required.includes('payment-card-number')],
      ['expiration-date', (v) => v.expiration_date === c.expiry],
      ['security-code', (v) => v.security_code === 'x'.repeat(c.code.length)],
    ];
    for (const [capture, accepted] of fields) {
      await pay.requestCapture(callSid, sid, capture);
      await sipp.cue();
      await until(`${capture} typed on the real call`, async () => accepted(await pay.session(callSid, sid)), 30_000);
      // A field full at its longest ends before its `#`: the agent asks for the next one a moment later, as a person would.
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    await pay.requestFinish(callSid, sid);
    await until('the real call session to end', async () => (await pay.session(callSid, sid)).result === 'success', 30_000);
    await sipp.cue();
    const run = await sipp.done;
    return { callSid, sid, sippLog: run.log, sippCode: run.code };
  } finally {
    await app.close();
  }
}
