/**
 * The RFC 4733 receiver against packets real senders put on the wire (SIPp 3.6.1, baresip 1.0, linphone 5.2,
 * recorded on this kind of machine), and the quirks each of them has.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newRtpView, readRtp } from '../../../src/telephony/media/rtp.js';
import { TelephoneEvents } from '../../../src/telephony/keypad/telephoneEvents.js';

const SIPP_1_START = '80e004d800005f5001020305010a0000';
const SIPP_1_END = '806004de00005f500102030501ca03c0';
const BARESIP_1_START = '80e55178000070cf45336733010a00a0';
const BARESIP_1_END = '8065518a000070cf45336733018a05a0';
const LINPHONE_9_END = '806500045efae5f077c0161b098a0320';

/** A packet as hex, with its sequence number, timestamp, marker or payload bytes changed. */
function packet(hex: string, change: { sequence?: number; timestamp?: number; marker?: boolean; payload?: string } = {}): Buffer {
  const bytes = Buffer.from(hex, 'hex');
  if (change.sequence !== undefined) bytes.writeUInt16BE(change.sequence, 2);
  if (change.timestamp !== undefined) bytes.writeUInt32BE(change.timestamp, 4);
  if (change.marker !== undefined) bytes[1] = (bytes[1]! & 0x7f) | (change.marker ? 0x80 : 0);
  return change.payload === undefined ? bytes : Buffer.concat([bytes.subarray(0, 12), Buffer.from(change.payload, 'hex')]);
}

function receiver() {
  const keys: Array<{ key: string; ssrc: number; timestamp: number }> = [];
  const spans: Array<{ duration: number; ended: boolean }> = [];
  const events = new TelephoneEvents({
    onKey: (key, ssrc, timestamp) => keys.push({ key, ssrc, timestamp }),
    onSpan: (_ssrc, _timestamp, duration, ended) => spans.push({ duration, ended }),
  });
  const view = newRtpView();
  const receive = (...packets: Buffer[]) => {
    for (const p of packets) {
      assert.ok(readRtp(p, view));
      events.receive(view, p);
    }
  };
  return { keys, spans, receive, typed: () => keys.map((k) => k.key).join('') };
}

describe('RFC 4733 events', () => {
  it("SIPp: a key on its first packet (duration 0, R bit on the end), its end three times counted once", () => {
    const r = receiver();
    r.receive(packet(SIPP_1_START), packet(SIPP_1_START, { sequence: 0x04d9, marker: false, payload: '010a00a0' }), packet(SIPP_1_END), packet(SIPP_1_END, { sequence: 0x04df }), packet(SIPP_1_END, { sequence: 0x04e0 }));
    assert.equal(r.typed(), '1');
    assert.deepEqual(r.keys[0], { key: '1', ssrc: 0x01020305, timestamp: 0x5f50 });
    assert.deepEqual(r.spans, [{ duration: 160, ended: false }, { duration: 960, ended: true }]);
  });

  it("SIPp: the next play_dtmf's first key repeats the last timestamp with the marker set, and is a new key", () => {
    const r = receiver();
    r.receive(packet(SIPP_1_START), packet(SIPP_1_END), packet(SIPP_1_END));
    r.receive(packet(SIPP_1_START, { sequence: 0x0600, payload: '010a0000' }), packet(SIPP_1_END, { sequence: 0x0606 }));
    assert.equal(r.typed(), '11');
  });

  it('the same timestamp again without the marker after the end is a late packet of that event, not a key', () => {
    const r = receiver();
    r.receive(packet(SIPP_1_START), packet(SIPP_1_END), packet(SIPP_1_START, { marker: false, payload: '010a0140' }));
    assert.equal(r.typed(), '1');
  });

  it('baresip: new sequence numbers on each end packet, one key per event, a new timestamp is the next key', () => {
    const r = receiver();
    r.receive(packet(BARESIP_1_START), packet(BARESIP_1_END), packet(BARESIP_1_END, { sequence: 0x518c }), packet(BARESIP_1_END, { sequence: 0x518e }));
    r.receive(packet(BARESIP_1_START, { sequence: 0x51a0, timestamp: 0x70cf + 3200, payload: '010a00a0' }), packet(BARESIP_1_END, { sequence: 0x51a2, timestamp: 0x70cf + 3200 }));
    assert.equal(r.typed(), '11', 'a real "11" stays two keys');
  });

  it('linphone: the start lost, the end three times with the same sequence number: one key', () => {
    const r = receiver();
    r.receive(packet(LINPHONE_9_END), packet(LINPHONE_9_END), packet(LINPHONE_9_END));
    assert.equal(r.typed(), '9');
    assert.deepEqual(r.spans, [{ duration: 800, ended: true }]);
  });

  it('* and # are events 10 and 11; A-D (12-15), events above 15 and short payloads are no keys', () => {
    const r = receiver();
    let ts = 1000;
    for (const event of ['0a', '0b', '0c', '0f', '10', '20', 'ff']) r.receive(packet(SIPP_1_START, { timestamp: (ts += 1000), payload: `${event}0a0000` }));
    r.receive(packet(SIPP_1_START, { timestamp: (ts += 1000), payload: '050a00' }));
    assert.equal(r.typed(), '*#');
  });

  it('each SSRC is its own stream: the same timestamp on another SSRC is another key', () => {
    const r = receiver();
    const other = packet(SIPP_1_START);
    other.writeUInt32BE(0x0a0b0c0d, 8);
    r.receive(packet(SIPP_1_START), other, packet(SIPP_1_START, { marker: false, payload: '010a0140' }));
    assert.equal(r.typed(), '11');
  });

  it('compares with the last event only: a timestamp seen two events ago starts a key again', () => {
    const r = receiver();
    r.receive(packet(SIPP_1_START, { timestamp: 100 }), packet(SIPP_1_START, { timestamp: 2000 }), packet(SIPP_1_START, { timestamp: 100 }));
    assert.equal(r.typed(), '111');
  });
});
