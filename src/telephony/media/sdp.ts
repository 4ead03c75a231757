/**
 * SDP offer/answer (RFC 3264) for G.711 audio, read and written with `sdp-transform` (the widely used SDP
 * parser/writer; it keeps every attribute, so nothing a peer sends is lost on the way through).
 *
 * paytone answers the first audio stream with the first of PCMU/PCMA the offer lists, plus `telephone-event/8000`
 * on the payload type the offer used (events at 16000 or 48000 Hz are ignored). An offer without G.711, without a
 * usable audio stream, or with SRTP only gets no answer: the caller is refused with 488. Offers made to the agent
 * never list `telephone-event`, so no RFC 4733 event can reach the agent.
 *
 * @example
 *   const answered = answerOffer(invite.body.toString(), { address: '192.0.2.10', port: 20000 }, 1);
 *   if (!answered.ok) leg.reject(488, 'Not Acceptable Here');
 */
import sdpTransform from 'sdp-transform';
import type { G711 } from './g711.js';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** What both sides agreed on, as this side sees it. */
export interface NegotiatedMedia {
  /** Where the peer said it receives RTP (symmetric RTP may replace it with where its packets come from). */
  remote: { address: string; port: number };
  codec: G711;
  payloadType: number;
  /** The peer's telephone-event payload type at 8000 Hz, or null. */
  telephoneEvent: number | null;
  /** Whether this side may send and receive, from this side's point of view. */
  direction: Direction;
}

export interface LocalMedia {
  address: string;
  port: number;
}

export type Negotiation = { ok: true; sdp: string; media: NegotiatedMedia } | { ok: false; problem: string };

const STATIC: Record<number, G711> = { 0: 'PCMU', 8: 'PCMA' };
const TELEPHONE_EVENT_PT = 101;
const EVENTS = 'telephone-event';
const REVERSED: Record<Direction, Direction> = { sendrecv: 'sendrecv', sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive' };

interface Stream {
  remote: { address: string; port: number };
  payloads: number[];
  names: Map<number, string>;
  direction: Direction;
}

/** The first audio stream of an SDP body, or a sentence saying why there is none paytone can use. */
function audioStream(text: string): Stream | string {
  let session: sdpTransform.SessionDescription;
  try {
    session = sdpTransform.parse(text);
  } catch {
    return 'the SDP could not be read';
  }
  const media = (session.media ?? []).find((m) => m.type === 'audio' && m.port > 0);
  if (media === undefined) return 'the SDP has no audio stream';
  if (!/^RTP\/AVPF?$/.test(media.protocol)) return `the audio stream uses ${media.protocol}; paytone takes plain RTP/AVP (no SRTP yet)`;
  const address = media.connection?.ip ?? session.connection?.ip;
  if (address === undefined) return 'the SDP has no c= line for its audio stream';
  const payloads = String(media.payloads ?? '').split(/\s+/).filter((p) => /^\d{1,3}$/.test(p)).map(Number);
  const names = new Map<number, string>();
  for (const rtp of media.rtp ?? []) names.set(rtp.payload, `${rtp.codec.toLowerCase()}/${rtp.rate ?? ''}`);
  let direction: Direction = media.direction ?? session.direction ?? 'sendrecv';
  // RFC 2543 hold: c=0.0.0.0 means "do not send to me".
  if (address === '0.0.0.0') direction = direction === 'sendrecv' || direction === 'sendonly' ? 'sendonly' : 'inactive';
  return { remote: { address, port: media.port }, payloads, names, direction };
}

function g711Of(stream: Stream, payload: number): G711 | null {
  const name = stream.names.get(payload);
  if (name === undefined) return STATIC[payload] ?? null;
  if (name === 'pcmu/8000') return 'PCMU';
  if (name === 'pcma/8000') return 'PCMA';
  return null;
}

function telephoneEventOf(stream: Stream): number | null {
  return stream.payloads.find((p) => stream.names.get(p) === 'telephone-event/8000') ?? null;
}

/** Answers a peer's offer (an INVITE or a re-INVITE from the caller or the agent). */
export function answerOffer(offer: string, local: LocalMedia, version: number, withEvents = true): Negotiation {
  const stream = audioStream(offer);
  if (typeof stream === 'string') return { ok: false, problem: stream };
  const payloadType = stream.payloads.find((p) => g711Of(stream, p) !== null);
  if (payloadType === undefined) return { ok: false, problem: 'the offer lists neither PCMU nor PCMA; paytone speaks G.711 only' };
  const telephoneEvent = withEvents ? telephoneEventOf(stream) : null;
  const direction = REVERSED[stream.direction];
  const media: NegotiatedMedia = { remote: stream.remote, codec: g711Of(stream, payloadType)!, payloadType, telephoneEvent, direction };
  const formats = [{ payload: payloadType, codec: media.codec as string }, ...(telephoneEvent === null ? [] : [{ payload: telephoneEvent, codec: EVENTS }])];
  return { ok: true, sdp: describe(local, version, formats, direction), media };
}

/**
 * Our offer: PCMU and PCMA; with `events`, telephone-event/8000 too (a callee whose keypad matters). The agent's
 * offer never has it.
 */
export function makeOffer(local: LocalMedia, version: number, options: { events: boolean; direction?: Direction }): string {
  const formats = [{ payload: 0, codec: 'PCMU' }, { payload: 8, codec: 'PCMA' }, ...(options.events ? [{ payload: TELEPHONE_EVENT_PT, codec: EVENTS }] : [])];
  return describe(local, version, formats, options.direction ?? 'sendrecv');
}

/** Reads the answer to our offer. */
export function readAnswer(answer: string, offeredEvents: boolean): { ok: true; media: NegotiatedMedia } | { ok: false; problem: string } {
  const stream = audioStream(answer);
  if (typeof stream === 'string') return { ok: false, problem: stream };
  const payloadType = stream.payloads.find((p) => g711Of(stream, p) !== null);
  if (payloadType === undefined) return { ok: false, problem: 'the answer chose neither PCMU nor PCMA' };
  const telephoneEvent = offeredEvents ? telephoneEventOf(stream) : null;
  return { ok: true, media: { remote: stream.remote, codec: g711Of(stream, payloadType)!, payloadType, telephoneEvent, direction: REVERSED[stream.direction] } };
}

function describe(local: LocalMedia, version: number, formats: Array<{ payload: number; codec: string }>, direction: Direction): string {
  const ip = local.address.includes(':') ? 6 : 4;
  const rtp = formats.map(({ payload, codec }) => ({ payload, codec, rate: 8000 }));
  const fmtp = formats.filter((f) => f.codec === EVENTS).map((f) => ({ payload: f.payload, config: '0-16' }));
  return sdpTransform.write({
    version: 0,
    origin: { username: 'paytone', sessionId: local.port, sessionVersion: version, netType: 'IN', ipVer: ip, address: local.address },
    name: 'paytone',
    connection: { version: ip, ip: local.address },
    timing: { start: 0, stop: 0 },
    media: [{ type: 'audio', port: local.port, protocol: 'RTP/AVP', payloads: formats.map((f) => f.payload).join(' '), rtp, fmtp, ptime: 20, direction }],
  });
}
