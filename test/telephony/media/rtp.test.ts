import { test } from 'node:test';
import assert from 'node:assert/strict';
import alawmulaw from 'alawmulaw';
import { isRtcp, newRtpView, readRtp, writeRtpHeader } from '../../../src/telephony/media/rtp.js';
import { decodeG711, encodeG711 } from '../../../src/telephony/media/g711.js';
import { FrameQueue, throughStages, type FrameSink } from '../../../src/telephony/media/frames.js';

test('real RFC 4733 packets from SIPp, baresip and linphone are read field by field', () => {
  const cases: Array<[string, Partial<ReturnType<typeof newRtpView>>]> = [
    ['80e004d800005f5001020305010a0000', { marker: true, payloadType: 96, sequence: 0x04d8, timestamp: 0x5f50, ssrc: 0x01020305 }],
    ['8065518a000070cf45336733018a05a0', { marker: false, payloadType: 101, sequence: 0x518a, timestamp: 0x70cf, ssrc: 0x45336733 }],
    ['806500045efae5f077c0161b098a0320', { marker: false, payloadType: 101, sequence: 4, timestamp: 0x5efae5f0, ssrc: 0x77c0161b }],
  ];
  for (const [hex, expected] of cases) {
    const view = newRtpView();
    assert.equal(readRtp(Buffer.from(hex, 'hex'), view), true);
    assert.deepEqual({ marker: view.marker, payloadType: view.payloadType, sequence: view.sequence, timestamp: view.timestamp, ssrc: view.ssrc }, expected);
    assert.equal(view.payloadOffset, 12);
    assert.equal(view.payloadLength, 4);
  }
});

test('CSRC lists, header extensions and padding are skipped; malformed packets are refused', () => {
  const view = newRtpView();
  const withAll = Buffer.concat([Buffer.from('b1000001000000a0deadbeef', 'hex'), Buffer.from('11111111', 'hex'), Buffer.from('bede0001aabbccdd', 'hex'), Buffer.from('ffff', 'hex'), Buffer.from('000002', 'hex')]);
  assert.equal(readRtp(withAll, view), true);
  assert.equal(view.payloadOffset, 24);
  assert.equal(view.payloadLength, 3);
  for (const hex of ['', '80', '40000001000000a0deadbeef', '8f000001000000a0deadbeef', '90000001000000a0deadbeef0000', 'a0000001000000a0deadbeefff']) {
    assert.equal(readRtp(Buffer.from(hex, 'hex'), view), false, hex);
  }
  assert.equal(isRtcp(Buffer.from('80c80006', 'hex')), true);
  assert.equal(isRtcp(Buffer.from('80000006', 'hex')), false);
});

test('a written header reads back', () => {
  const packet = Buffer.alloc(172);
  writeRtpHeader(packet, true, 8, 65535, 2 ** 32 - 1, 0xcafebabe);
  const view = newRtpView();
  assert.equal(readRtp(packet, view), true);
  assert.deepEqual([view.marker, view.payloadType, view.sequence, view.timestamp, view.ssrc, view.payloadLength], [true, 8, 65535, 2 ** 32 - 1, 0xcafebabe, 160]);
});

test('G.711 both laws: every byte decodes and every sample encodes exactly as alawmulaw does', () => {
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const samples = new Int16Array(256);
  for (const [codec, law] of [['PCMU', alawmulaw.mulaw], ['PCMA', alawmulaw.alaw]] as const) {
    decodeG711(codec, bytes, 0, 256, samples);
    assert.deepEqual([...samples], [...law.decode(bytes)]);
    const ramp = Int16Array.from({ length: 4096 }, (_, i) => i * 16 - 32768);
    const out = Buffer.alloc(4096);
    encodeG711(codec, ramp, out, 0);
    assert.deepEqual([...out], [...law.encode(ramp)]);
  }
});

test('a frame queue keeps copies, drops the oldest when full, and stages run in order before it', () => {
  const queue = new FrameQueue(2, 1);
  const seen: string[] = [];
  const stage = (name: string) => (next: FrameSink): FrameSink => ({
    write(samples, time) {
      seen.push(`${name}@${time}`);
      next.write(samples, time);
    },
  });
  const path = throughStages([stage('detector'), stage('masker')], queue);
  const frame = new Int16Array(160);
  for (let i = 1; i <= 3; i++) {
    frame.fill(i);
    path.write(frame, i * 160);
  }
  assert.deepEqual(seen, ['detector@160', 'masker@160', 'detector@320', 'masker@320', 'detector@480', 'masker@480']);
  assert.equal(queue.dropped, 1);
  assert.equal(queue.take()![0], 2);
  assert.equal(queue.take()![0], 3);
  assert.equal(queue.take(), null);
});

test('a frame queue run dry waits for its prefill before releasing again', () => {
  const queue = new FrameQueue(8, 3);
  const frame = new Int16Array(160);
  const write = (n: number) => queue.write(frame.fill(n));
  write(1);
  write(2);
  assert.equal(queue.take(), null, 'two of three');
  write(3);
  assert.deepEqual([queue.take()![0], queue.take()![0], queue.take()![0]], [1, 2, 3]);
  assert.equal(queue.take(), null);
  write(4);
  assert.equal(queue.take(), null, 'dry again: waits for three');
});
