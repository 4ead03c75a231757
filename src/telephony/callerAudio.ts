/**
 * Where a real call's caller audio and keys go, and the B2BUA's media bridge.
 *
 * The caller's decoded audio always runs through the call's `CallerTap` stages first, bridged or not (an IVR
 * `<Pay>` with no agent needs the keypad too), and only then, when an agent is bridged, into the agent's send
 * queue. The agent's audio goes back to the caller as it is: the caller's own keys are not in it.
 *
 * The tap is where DTMF handling plugs in: the in-band detector and the masker are stages (the masker a
 * look-ahead delay line that holds each frame until it has seen 60 ms past it); RFC 4733 events and SIP INFO
 * arrive through `telephoneEvent` and `info`. With no tap, audio passes untouched.
 *
 * @example
 *   const audio = new CallerAudio(tap.stages);
 *   callerMedia.leg.sink = audio;
 *   const unbridge = bridge(callerMedia, audio, agentMedia);
 */
import type { AudioStage, FrameSink } from './media/frames.js';
import { throughStages } from './media/frames.js';
import type { RtpView } from './media/rtp.js';
import type { CallMedia } from './callMedia.js';

export interface CallerTap {
  /** Stages the caller's audio passes through, in order, before it may reach an agent. */
  stages: AudioStage[];
  /** An RFC 4733 event packet from the caller (`view` and `packet` are lent for the call). */
  telephoneEvent?(view: RtpView, packet: Buffer): void;
  /** A SIP INFO from the caller (application/dtmf-relay, application/dtmf), already answered 200. */
  info?(contentType: string, body: Buffer): void;
  /** The call ended: nothing the tap holds (keys, audio) outlives it. */
  close?(): void;
}

/** A call's tap, by call sid; the default passes everything through. */
export type CallerTaps = (callSid: string) => CallerTap;

export const NO_TAP: CallerTaps = () => ({ stages: [] });

export class CallerAudio implements FrameSink {
  private destination: FrameSink | null = null;
  private readonly entry: FrameSink;

  constructor(stages: AudioStage[]) {
    this.entry = throughStages(stages, { write: (samples, time) => this.destination?.write(samples, time) });
  }

  write(samples: Int16Array, mediaTime: number): void {
    this.entry.write(samples, mediaTime);
  }

  /** Where the audio goes after the stages (an agent's send queue), or nowhere. */
  sendTo(destination: FrameSink | null): void {
    this.destination = destination;
  }
}

/** Joins the caller's and the agent's audio; the returned function parts them again. */
export function bridge(caller: CallMedia, audio: CallerAudio, agent: CallMedia): () => void {
  audio.sendTo(agent.leg.outgoing);
  agent.leg.sink = caller.leg.outgoing;
  return () => {
    audio.sendTo(null);
    agent.leg.sink = null;
    agent.leg.outgoing.clear();
    caller.leg.outgoing.clear();
  };
}
