import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import alawmulaw from 'alawmulaw';
import { MediaLeg } from '../../../src/telephony/media/mediaLeg.js';
import { MediaClock } from '../../../src/telephony/media/mediaClock.js';
import { RtpPortPool } from '../../../src/telephony/media/ports.js';
import { newRtpView, readRtp, writeRtpHeader } from '../../../src/telephony/media/rtp.js';
import { CallMedia } from '../../../src/telephony/callMedia.js';
import type { SipService } from '../../../src/telephony/sipService.js';
import { testRtpPorts } from '../../support/paytone.js';
import { until } from '../../support/poll.js';

async function socket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  return s;
}

function rtp(payloadType: number, sequence: number, timestamp: number, payload: Uint8Array): Buffer {
  const packet = Buffer.alloc(12 + payload.length);
  writeRtpHeader(packet, false, payloadType, sequence, timestamp, 0x11223344);
  packet.set(payload, 12);
  return packet;
}

const [first, last] = testRtpPorts().split('-').map(Number) as [number, number];

async function setup() {
  const pool = new RtpPortPool({ first, last }, '127.0.0.1');
  const clock = new MediaClock();
  const ports = await pool.open();
  const leg = new MediaLeg(ports, { host: '127.0.0.1', signalling: '127.0.0.1', clock });
  const peer = await socket();
  const received: Buffer[] = [];
  peer.on('message', (m) => received.push(m));
  leg.negotiate({ remote: { address: '127.0.0.1', port: peer.address().port }, codec: 'PCMU', payloadType: 0, telephoneEvent: 101, direction: 'sendrecv' });
  const frames: Array<{ samples: number[]; time: number }> = [];
  leg.sink = { write: (samples, time) => frames.push({ samples: [...samples], time }) };
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    leg.stop();
    pool.release(ports);
    peer.close();
  };
  return { pool, ports, leg, peer, received, frames, close };
}

test('port pairs are even/odd, skip ports in use, and come back when released', async () => {
  const pool = new RtpPortPool({ first, last: first + 5 }, '127.0.0.1');
  const blocker = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => blocker.bind(first + 2, '127.0.0.1', () => resolve()));
  const a = await pool.open();
  const b = await pool.open();
  assert.deepEqual([a.port, b.port], [first, first + 4], 'the pair with a busy port is skipped');
  await assert.rejects(pool.open(), /no free RTP port pair/);
  pool.release(a);
  const again = await pool.open();
  assert.equal(again.port, first);
  blocker.close();
  pool.release(b);
  assert.equal(pool.used, 1);
  pool.release(again);
  assert.equal(pool.used, 0);
});

test('audio in: decoded bit-exact into 20 ms frames (30 ms packets re-cut), events apart, strangers and RTCP dropped', async (t) => {
  const { ports, leg, peer, frames, close } = await setup();
  t.after(close);
  const events: number[] = [];
  leg.onTelephoneEvent = (view, packet) => events.push(packet[view.payloadOffset]!);
  const tone = Int16Array.from({ length: 480 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  const encoded = alawmulaw.mulaw.encode(tone);
  for (let i = 0; i < 2; i++) peer.send(rtp(0, i, 1000 + i * 240, encoded.subarray(i * 240, i * 240 + 240)), ports.port, '127.0.0.1');
  peer.send(rtp(101, 2, 1480, Uint8Array.from([5, 0x0a, 0, 0])), ports.port, '127.0.0.1');
  peer.send(Buffer.from('80c8000600000000', 'hex'), ports.port, '127.0.0.1');
  peer.send(Buffer.from('80c8000600000000', 'hex'), ports.port + 1, '127.0.0.1');
  await until('three frames and an event', async () => frames.length === 3 && events.length === 1);
  // A stranger on the same address, then the peer again: the stranger's audio never reaches the call.
  const stranger = await socket();
  await new Promise((resolve) => stranger.send(rtp(0, 9, 9, encoded.subarray(0, 160)), ports.port, '127.0.0.1', resolve));
  peer.send(rtp(0, 3, 1480, encoded.subarray(0, 160)), ports.port, '127.0.0.1');
  await until('the fourth frame', async () => frames.length === 4);
  const decoded = [...alawmulaw.mulaw.decode(encoded)];
  assert.deepEqual(frames.map((f) => f.time), [1000, 1160, 1320, 1480]);
  assert.deepEqual(frames.slice(0, 3).flatMap((f) => f.samples), decoded);
  assert.deepEqual(events, [5]);
  stranger.close();
});

test('symmetric RTP: sends go where the peer sends from (NAT), nothing else is heard, a moved peer unlatches', async (t) => {
  const { ports, leg, received, frames, close } = await setup();
  t.after(close);
  const behindNat = await socket();
  const heardBehindNat: Buffer[] = [];
  behindNat.on('message', (m) => heardBehindNat.push(m));
  t.after(() => behindNat.close());
  leg.start();
  await until('packets to the address the SDP named', async () => received.length >= 2);
  const frame = new Uint8Array(160).fill(0x7f);
  behindNat.send(rtp(0, 1, 5000, frame), ports.port, '127.0.0.1');
  await until('packets to where the peer sends from', async () => heardBehindNat.length >= 3);
  const sdpAddressHeard = received.length;
  await until('more packets behind the NAT', async () => heardBehindNat.length >= 8);
  assert.ok(received.length <= sdpAddressHeard + 1, 'the address the SDP named gets nothing more (one packet at most was on its way)');
  // Another port on the same address is a stranger now: what it sends is not heard.
  const sdpPeer = await socket();
  t.after(() => sdpPeer.close());
  sdpPeer.send(rtp(0, 2, 7000, frame), ports.port, '127.0.0.1');
  behindNat.send(rtp(0, 2, 5160, frame), ports.port, '127.0.0.1');
  await until('the peer behind the NAT heard twice', async () => frames.length === 2);
  assert.deepEqual(frames.map((f) => f.time), [5000, 5160]);
  // A re-INVITE names a new address: the leg unlatches and sends there.
  const moved = await socket();
  const heardMoved: Buffer[] = [];
  moved.on('message', (m) => heardMoved.push(m));
  t.after(() => moved.close());
  leg.negotiate({ ...leg.negotiated!, remote: { address: '127.0.0.1', port: moved.address().port } });
  await until('packets to the moved peer', async () => heardMoved.length >= 3);
  moved.send(rtp(0, 1, 9000, frame), ports.port, '127.0.0.1');
  await until('the moved peer heard', async () => frames.length === 3);
  assert.equal(frames[2]!.time, 9000);
});

test("audio out: paytone's own SSRC, sequence +1 and timestamp +160 per packet, silence when nothing waits, none on hold", async (t) => {
  const { leg, received, close } = await setup();
  t.after(close);
  const frame = new Int16Array(160).fill(1000);
  // Three frames: the send queue is a jitter buffer that starts releasing at three.
  for (let i = 0; i < 3; i++) leg.outgoing.write(frame);
  leg.start();
  await until('five packets', async () => received.length >= 5);
  const views = received.slice(0, 5).map((packet) => {
    const view = newRtpView();
    assert.equal(readRtp(packet, view), true);
    return { ...view, first: packet[12] };
  });
  assert.equal(new Set(views.map((v) => v.ssrc)).size, 1);
  assert.notEqual(views[0]!.ssrc, 0x11223344);
  for (let i = 1; i < 5; i++) {
    assert.equal((views[i]!.sequence - views[i - 1]!.sequence) & 0xffff, 1);
    // A stall of the machine longer than the clock's catch-up skips beats: the timestamps jump, marked.
    const step = (views[i]!.timestamp - views[i - 1]!.timestamp) >>> 0;
    if (views[i]!.marker) assert.equal(step % 160, 0);
    else assert.equal(step, 160);
  }
  assert.deepEqual(views.map((v) => v.payloadType), [0, 0, 0, 0, 0]);
  assert.equal(views[0]!.marker, true);
  // alawmulaw's encodeSample gives the byte as a signed number.
  assert.deepEqual(views.map((v) => v.first), [1000, 1000, 1000, 0, 0].map((sample) => alawmulaw.mulaw.encodeSample(sample) & 0xff));
  leg.negotiate({ ...leg.negotiated!, direction: 'recvonly' });
  const held = received.length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(received.length <= held + 1, 'at most the packet already on its way');
});

test('beats skipped after a stall: the timestamps jump over them, the sequence goes on, the marker restarts the audio', async (t) => {
  const { leg, received, close } = await setup();
  t.after(close);
  leg.start();
  await until('two packets', async () => received.length >= 2);
  const before = received.length;
  leg.skip(7);
  const views = () =>
    received.map((packet) => {
      const view = newRtpView();
      readRtp(packet, view);
      return view;
    });
  // A packet already on its way when the beats were skipped may arrive first: the skip is where the marker is.
  const at = await until('the packet after the skip', async () => {
    const found = views().findIndex((view, i) => i >= before && view.marker);
    return found > 0 && found;
  });
  const [last, next] = [views()[at - 1], views()[at]];
  assert.equal((next!.sequence - last!.sequence) & 0xffff, 1, 'no packet is missing from the sequence');
  assert.equal((next!.timestamp - last!.timestamp) >>> 0, 8 * 160, 'seven frames of time passed without a packet');
  assert.equal(next!.marker, true);
});

test('a leg whose peer went quiet is reported gone, after two checks without a packet', async () => {
  const pool = new RtpPortPool({ first, last }, '127.0.0.1');
  const sip = { ports: pool, self: { host: '127.0.0.1', port: 5060 }, mediaClock: new MediaClock() } as unknown as SipService;
  const media = await CallMedia.open(sip, '127.0.0.1', { events: false });
  let gone = 0;
  media.watchForSilence(() => gone++, 50);
  await until('the quiet leg to be reported', async () => gone > 0);
  media.close();
  assert.equal(pool.used, 0, 'closing gave the ports back');
});
