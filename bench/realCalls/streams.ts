/**
 * One side of the bench's RTP, callers or agents, on one UDP socket, run in a worker thread of its own
 * (mediaThread.ts) so that neither side's sending, nor the bench's SIP and HTTP on the main thread, delays when the
 * agents' packets are read and timed. paytone latches each of its legs to where that leg's packets come from, so
 * calls share the socket and are told apart by paytone's port.
 *
 * - callers send line noise at 50 packets a second and, when told to type, each key as tones in the audio, as
 *   RFC 4733 events, or both at once; what they receive is only counted;
 * - agents send their own noise back, and what they receive (paytone's agent legs) goes to `FrameTiming`.
 *
 * Packets are built into buffers allocated once per call and paced from monotonic deadlines, the calls spread over
 * four 5 ms phases of each 20 ms, as independent phones would be.
 *
 * @example
 *   const callers = await Streams.open('callers', 200);
 *   callers.attach(7, paytoneCallerLegPort);
 *   callers.start();
 *   const sentAt = await callers.type(7, '42#', ['in-band', 'rfc4733', 'both']);
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { epochMs } from '../load.js';
import { FrameTiming } from './frameTiming.js';
import { EVENT_CODES, FRAME_SAMPLES, KEY_FRAMES, keypadAudio, TONE_FRAMES } from './keypadAudio.js';

export type KeyWay = 'in-band' | 'rfc4733' | 'both';
/** The agents' thread's nice value: it is the bench's instrument (mediaThread.ts). */
export const INSTRUMENT_NICE = -15;
export type Side = 'callers' | 'agents';

const HOST = '127.0.0.1';
const PCMU = 0;
const EVENT_PT = 101;
const PHASES = 4;
const PHASE_NS = 5_000_000n;
/** Packet buffers per call: a buffer is written again only after this many later packets (over 100 ms). */
const RING = 24;
const PACKET_BYTES = 12 + FRAME_SAMPLES;

interface Typing {
  keys: string;
  ways: KeyWay[];
  startFrame: number;
  sentAt: number[];
  done: (sentAt: number[]) => void;
}

interface Stream {
  remote: number | null;
  ssrc: number;
  sequence: number;
  timestamp: number;
  frame: number;
  ring: Buffer[];
  next: number;
  typing: Typing | null;
  eventTimestamp: number;
}

export class Streams {
  readonly timing: FrameTiming;
  readonly counts = { sent: 0, received: 0 };
  private readonly streams: Stream[];
  private readonly byRemote = new Map<number, number>();
  private readonly audio = keypadAudio();
  private timer: NodeJS.Timeout | null = null;
  private next = 0n;
  private tick = 0;

  private constructor(
    private readonly side: Side,
    private readonly socket: dgram.Socket,
    size: number,
  ) {
    this.timing = new FrameTiming(size);
    const base = side === 'callers' ? 0x10000000 : 0x20000000;
    this.streams = Array.from({ length: size }, (_, i) => ({
      remote: null,
      ssrc: (base + i) >>> 0,
      sequence: side === 'callers' ? i * 7 : i * 11,
      timestamp: (i * (side === 'callers' ? 7919 : 104_729)) >>> 0,
      frame: 0,
      ring: Array.from({ length: RING }, () => Buffer.alloc(PACKET_BYTES)),
      next: 0,
      typing: null,
      eventTimestamp: 0,
    }));
    socket.on('message', (packet, from) => {
      this.counts.received++;
      if (side === 'callers') return;
      const index = this.byRemote.get(from.port);
      if (index !== undefined && packet.length >= 12) this.timing.record(index, packet.readUInt32BE(4), performance.now());
    });
  }

  static open(side: Side, size: number): Promise<Streams> {
    return new Promise((resolve) => {
      const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
      socket.bind(0, HOST, () => resolve(new Streams(side, socket, size)));
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Call `index` sends to, and receives from, paytone's leg at `port` from now on. */
  attach(index: number, port: number): void {
    this.streams[index]!.remote = port;
    this.byRemote.set(port, index);
  }

  /** Types `keys` on caller `index`, key `i` by `ways[i]`; resolves with when each key's first packet left (epoch ms). */
  type(index: number, keys: string, ways: KeyWay[]): Promise<number[]> {
    const stream = this.streams[index]!;
    return new Promise((done) => (stream.typing = { keys, ways, startFrame: stream.frame + 1, sentAt: [], done }));
  }

  start(): void {
    this.next = process.hrtime.bigint();
    this.beat();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  close(): void {
    this.stop();
    this.socket.close();
  }

  private beat(): void {
    const now = process.hrtime.bigint();
    let due = 0;
    while (this.next <= now && due < PHASES * 2) {
      this.phase(this.tick++ % PHASES);
      this.next += PHASE_NS;
      due++;
    }
    if (this.next <= now) this.next = now + PHASE_NS;
    this.timer = setTimeout(() => this.beat(), Math.max(0, Math.floor(Number(this.next - process.hrtime.bigint()) / 1e6)));
  }

  private phase(phase: number): void {
    for (let i = phase; i < this.streams.length; i += PHASES) {
      const stream = this.streams[i]!;
      if (stream.remote === null) continue;
      if (this.side === 'callers') this.callerFrame(stream);
      else this.agentFrame(stream);
    }
  }

  private callerFrame(stream: Stream): void {
    const frame = stream.frame++;
    let payload = this.audio.noise[frame % this.audio.noise.length]!;
    let event: { code: number; f: number } | null = null;
    const typing = stream.typing;
    if (typing !== null && frame >= typing.startFrame) {
      const at = frame - typing.startFrame;
      const key = Math.floor(at / KEY_FRAMES);
      const f = at % KEY_FRAMES;
      if (key >= typing.keys.length) {
        stream.typing = null;
        typing.done(typing.sentAt);
      } else if (f < TONE_FRAMES) {
        const digit = typing.keys[key]!;
        const way = typing.ways[key]!;
        if (f === 0) {
          typing.sentAt.push(epochMs());
          stream.eventTimestamp = stream.timestamp;
        }
        if (way !== 'rfc4733') payload = this.audio.tones.get(digit)![f]!;
        if (way !== 'in-band') event = { code: EVENT_CODES[digit]!, f };
      }
    }
    this.send(stream, PCMU, false, stream.timestamp, payload);
    if (event !== null) {
      const end = event.f === TONE_FRAMES - 1;
      const body = Buffer.from([event.code, end ? 0x8a : 0x0a, 0, 0]);
      body.writeUInt16BE((event.f + 1) * FRAME_SAMPLES, 2);
      // The end is sent three times, as phones do.
      for (let copy = 0; copy < (end ? 3 : 1); copy++) this.send(stream, EVENT_PT, event.f === 0, stream.eventTimestamp, body);
    }
    stream.timestamp = (stream.timestamp + FRAME_SAMPLES) >>> 0;
  }

  private agentFrame(stream: Stream): void {
    this.send(stream, PCMU, false, stream.timestamp, this.audio.noise[(stream.timestamp / FRAME_SAMPLES) % this.audio.noise.length | 0]!);
    stream.timestamp = (stream.timestamp + FRAME_SAMPLES) >>> 0;
  }

  private send(stream: Stream, payloadType: number, marker: boolean, timestamp: number, payload: Buffer): void {
    const packet = stream.ring[stream.next]!;
    stream.next = (stream.next + 1) % RING;
    packet[0] = 0x80;
    packet[1] = (marker ? 0x80 : 0) | payloadType;
    packet.writeUInt16BE(stream.sequence, 2);
    packet.writeUInt32BE(timestamp, 4);
    packet.writeUInt32BE(stream.ssrc, 8);
    payload.copy(packet, 12);
    stream.sequence = (stream.sequence + 1) & 0xffff;
    this.socket.send(packet, 0, 12 + payload.length, stream.remote!, HOST);
    this.counts.sent++;
  }
}
