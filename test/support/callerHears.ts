/**
 * What a SIPp caller heard on a call to one of paytone's numbers: SIPp does the signalling, the caller's media is an
 * RTP endpoint of ours (silence toward paytone) that records everything paytone sends and presses keys by RFC 4733.
 * The audio is read as 20 ms frames, speech where a frame's energy is above what silence gives.
 *
 * @example
 *   const heard = await callerHears(paytone, app, { number: '+15551230001', path: '/greeting' });
 *   const spans = speechSpans(voicedFrames(heard)); // [[12, 96], [198, 240]]
 */
import assert from 'node:assert/strict';
import type { PaytoneProcess } from './paytone.js';
import { caller } from './sippScenarios.js';
import { RtpEndpoint, startSipp } from './sipPeers.js';
import type { TwimlApp } from './twimlApp.js';

/** One 20 ms frame is speech when its RMS is above this (µ-law silence decodes to 0; eSpeak speaks in the thousands). */
export const SPEECH_RMS = 300;
/** Samples in a 20 ms frame at 8000 Hz. */
export const FRAME = 160;

/** Which 20 ms frames of what the caller heard are speech. */
export function voicedFrames(heard: Int16Array): boolean[] {
  const frames: boolean[] = [];
  for (let at = 0; at + FRAME <= heard.length; at += FRAME) {
    let sum = 0;
    for (let i = at; i < at + FRAME; i++) sum += heard[i]! * heard[i]!;
    frames.push(Math.sqrt(sum / FRAME) > SPEECH_RMS);
  }
  return frames;
}

/** Runs of speech as [first frame, last frame], joining gaps shorter than 400 ms (the pauses between words). */
export function speechSpans(voiced: boolean[]): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  voiced.forEach((v, i) => {
    if (!v) return;
    const last = spans.at(-1);
    if (last && i - last[1] <= 20) last[1] = i;
    else spans.push([i, i]);
  });
  return spans;
}

/**
 * SIPp calls `number`, whose VoiceUrl is made the app's `path` (the number is created the first time); `during` acts
 * as the caller meanwhile. Resolves with what the caller heard once paytone has hung up (a BYE: SIPp exits 0).
 */
export async function callerHears(
  paytone: PaytoneProcess,
  app: TwimlApp,
  call: { number: string; path: string; seconds?: number },
  during: (endpoint: RtpEndpoint) => Promise<void> = async () => undefined,
): Promise<Int16Array> {
  const client = paytone.client();
  const voiceUrl = `${app.url}${call.path}`;
  const [number] = await client.incomingPhoneNumbers.list({ phoneNumber: call.number });
  if (number) await client.incomingPhoneNumbers(number.sid).update({ voiceUrl });
  else await client.incomingPhoneNumbers.create({ phoneNumber: call.number, voiceUrl });
  const seconds = call.seconds ?? 60;
  const endpoint = await RtpEndpoint.open(new Uint8Array((seconds + 30) * 8000).fill(0xff));
  try {
    const sipp = await startSipp(caller({ mediaPort: endpoint.port, then: 'wait-bye' }), { target: paytone.sipPort!, service: call.number, seconds });
    await during(endpoint);
    const run = await sipp.done;
    assert.equal(run.code, 0, run.log);
    return endpoint.heard();
  } finally {
    endpoint.close();
  }
}
