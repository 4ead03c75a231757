/**
 * RTP packets (RFC 3550 §5.1) read in place and written into a buffer the caller owns, so the per-packet path
 * allocates nothing. A datagram that is not RTP version 2, is too short for its CSRC list or header extension, or
 * whose padding runs past its end is not a packet: `readRtp` returns false and the datagram is dropped.
 *
 * @example
 *   const view = newRtpView();
 *   if (readRtp(datagram, view) && view.payloadType === 0) decode(datagram, view.payloadOffset, view.payloadLength);
 */

export interface RtpView {
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payloadOffset: number;
  payloadLength: number;
}

export const RTP_HEADER_BYTES = 12;

export function newRtpView(): RtpView {
  return { marker: false, payloadType: 0, sequence: 0, timestamp: 0, ssrc: 0, payloadOffset: 0, payloadLength: 0 };
}

/** RTCP multiplexed on the RTP port (RFC 5761): packet types 200-204 sit where RTP's marker and PT are. */
export function isRtcp(packet: Buffer): boolean {
  return packet.length >= 2 && packet[1]! >= 200 && packet[1]! <= 204;
}

export function readRtp(packet: Buffer, view: RtpView): boolean {
  if (packet.length < RTP_HEADER_BYTES) return false;
  const first = packet[0]!;
  if (first >> 6 !== 2) return false;
  let offset = RTP_HEADER_BYTES + (first & 0x0f) * 4;
  if ((first & 0x10) !== 0) {
    if (packet.length < offset + 4) return false;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  let end = packet.length;
  if ((first & 0x20) !== 0) end -= packet[packet.length - 1]!;
  if (end < offset) return false;
  const second = packet[1]!;
  view.marker = (second & 0x80) !== 0;
  view.payloadType = second & 0x7f;
  view.sequence = packet.readUInt16BE(2);
  view.timestamp = packet.readUInt32BE(4);
  view.ssrc = packet.readUInt32BE(8);
  view.payloadOffset = offset;
  view.payloadLength = end - offset;
  return true;
}

/** Writes a 12-byte header (no CSRC, no extension) at the start of `packet`. */
export function writeRtpHeader(packet: Buffer, marker: boolean, payloadType: number, sequence: number, timestamp: number, ssrc: number): void {
  packet[0] = 0x80;
  packet[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  packet.writeUInt16BE(sequence & 0xffff, 2);
  packet.writeUInt32BE(timestamp >>> 0, 4);
  packet.writeUInt32BE(ssrc >>> 0, 8);
}
