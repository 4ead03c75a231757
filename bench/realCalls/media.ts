/**
 * The RTP of the bench's calls, both ways, from two UDP sockets: one for every caller, one for every agent (paytone
 * latches each of its legs to where that leg's packets come from, so calls share a socket and are told apart by
 * paytone's port). Each call's caller sends line noise at 50 packets a second and, when told to type, each key as
 * tones in the audio, as RFC 4733 events, or both at once; each agent sends its own noise back. Packets are built
 * into buffers allocated once per call and paced from monotonic deadlines, the calls spread over four 5 ms phases
 * of each 20 ms, as independent phones would be.
 *
 * What the agents receive (paytone's agent legs) goes to `FrameTiming`; when each key's first packet left is kept,
 * for key-to-callback latency.
 *
 * @example
 *   const media = await BenchMedia.open(200);
 *   media.attachCaller(7, paytoneCallerLegPort);
 *   const sentAt = await media.type(7, '4242#', ['in-band', 'rfc4733', 'both', 'in-band', 'rfc4733']);
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { epochMs } from '../load.js';
import { FrameTiming } from './frameTiming.js';
import { EVENT_CODES, FRAME_SAMPLES, KEY_FRAMES, keypadAudio, TONE_FRAMES } from './keypadAudio.js';

export type KeyWay = 'in-band' | 'rfc4733' | 'both';

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

interface Call {
  callerRemote: number | null;
  agentRemote: number | null;
  ssrc: number;
  sequence: number;
  timestamp: number;
  agentSsrc: number;
  agentSequence: number;
  agentTimestamp: number;
  frame: number;
  ring: Buffer[];
  next: number;
  typing: Typing | null;
  eventTimestamp: number;
}

export class BenchMedia {
  readonly timing: FrameTiming;
  readonly counts = { sent: 0, callerReceived: 0, agentReceived: 0 };
  private readonly calls: Call[];
  private readonly byAgentPort = new Map<number, number>();
  private readonly audio = keypadAudio();
  private timer: NodeJS.Timeout | null = null;
  private next = 0n;
  private tick = 0;

  private constructor(
    private readonly callerSocket: dgram.Socket,
    private readonly agentSocket: dgram.Socket,
    size: number,
  ) {
    this.timing = new FrameTiming(size);
    this.calls = Array.from({ length: size }, (_, i) => ({
      callerRemote: null,
      agentRemote: null,
      ssrc: (0x10000000 + i) >>> 0,
      sequence: i * 7,
      timestamp: (i * 7919) >>> 0,
      agentSsrc: (0x20000000 + i) >>> 0,
      agentSequence: i * 11,
      agentTimestamp: (i * 104_729) >>> 0,
      frame: 0,
      ring: Array.from({ length: RING }, () => Buffer.alloc(PACKET_BYTES)),
      next: 0,
      typing: null,
      eventTimestamp: 0,
    }));
    callerSocket.on('message', () => this.counts.callerReceived++);
    agentSocket.on('message', (packet, from) => {
      this.counts.agentReceived++;
      const call = this.byAgentPort.get(from.port);
      if (call !== undefined && packet.length >= 12) this.timing.record(call, packet.readUInt32BE(4), performance.now());
    });
  }

  static async open(size: number): Promise<BenchMedia> {
    const bind = () =>
      new Promise<dgram.Socket>((resolve) => {
        const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
        socket.bind(0, HOST, () => resolve(socket));
      });
    return new BenchMedia(await bind(), await bind(), size);
  }

  get callerPort(): number {
    return this.callerSocket.address().port;
  }

  get agentPort(): number {
    return this.agentSocket.address().port;
  }

  /** Call `index`'s caller sends to paytone's caller leg at `port` from now on. */
  attachCaller(index: number, port: number): void {
    this.calls[index]!.callerRemote = port;
  }

  /** Agent legs attached so far. */
  get agents(): number {
    return this.byAgentPort.size;
  }

  /** Call `index`'s agent receives from, and sends to, paytone's agent leg at `port`. */
  attachAgent(index: number, port: number): void {
    this.calls[index]!.agentRemote = port;
    this.byAgentPort.set(port, index);
  }

  /** Types `keys` on call `index`, key `i` by `ways[i]`; resolves with when each key's first packet left (epoch ms). */
  type(index: number, keys: string, ways: KeyWay[]): Promise<number[]> {
    const call = this.calls[index]!;
    return new Promise((done) => (call.typing = { keys, ways, startFrame: call.frame + 1, sentAt: [], done }));
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
    this.callerSocket.close();
    this.agentSocket.close();
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
    for (let i = phase; i < this.calls.length; i += PHASES) {
      const call = this.calls[i]!;
      if (call.callerRemote !== null) this.callerFrame(call);
      if (call.agentRemote !== null) this.agentFrame(call);
    }
  }

  private packet(call: Call): Buffer {
    const packet = call.ring[call.next]!;
    call.next = (call.next + 1) % RING;
    return packet;
  }

  private callerFrame(call: Call): void {
    const frame = call.frame++;
    let payload = this.audio.noise[frame % this.audio.noise.length]!;
    let event: { code: number; f: number } | null = null;
    const typing = call.typing;
    if (typing !== null && frame >= typing.startFrame) {
      const at = frame - typing.startFrame;
      const key = Math.floor(at / KEY_FRAMES);
      const f = at % KEY_FRAMES;
      if (key >= typing.keys.length) {
        call.typing = null;
        typing.done(typing.sentAt);
      } else if (f < TONE_FRAMES) {
        const digit = typing.keys[key]!;
        const way = typing.ways[key]!;
        if (f === 0) {
          typing.sentAt.push(epochMs());
          call.eventTimestamp = call.timestamp;
        }
        if (way !== 'rfc4733') payload = this.audio.tones.get(digit)![f]!;
        if (way !== 'in-band') event = { code: EVENT_CODES[digit]!, f };
      }
    }
    this.send(call, this.callerSocket, call.callerRemote!, PCMU, false, call.timestamp, payload);
    if (event !== null) {
      const end = event.f === TONE_FRAMES - 1;
      const body = Buffer.from([event.code, end ? 0x8a : 0x0a, 0, 0]);
      body.writeUInt16BE((event.f + 1) * FRAME_SAMPLES, 2);
      // The end is sent three times, as phones do.
      for (let copy = 0; copy < (end ? 3 : 1); copy++) this.send(call, this.callerSocket, call.callerRemote!, EVENT_PT, event.f === 0, call.eventTimestamp, body);
    }
    call.timestamp = (call.timestamp + FRAME_SAMPLES) >>> 0;
  }

  private agentFrame(call: Call): void {
    const packet = this.packet(call);
    writeHeader(packet, false, PCMU, call.agentSequence, call.agentTimestamp, call.agentSsrc);
    this.audio.noise[(call.agentTimestamp / FRAME_SAMPLES) % this.audio.noise.length | 0]!.copy(packet, 12);
    call.agentSequence = (call.agentSequence + 1) & 0xffff;
    call.agentTimestamp = (call.agentTimestamp + FRAME_SAMPLES) >>> 0;
    this.agentSocket.send(packet, 0, PACKET_BYTES, call.agentRemote!, HOST);
    this.counts.sent++;
  }

  private send(call: Call, socket: dgram.Socket, port: number, payloadType: number, marker: boolean, timestamp: number, payload: Buffer): void {
    const packet = this.packet(call);
    writeHeader(packet, marker, payloadType, call.sequence, timestamp, call.ssrc);
    payload.copy(packet, 12);
    call.sequence = (call.sequence + 1) & 0xffff;
    socket.send(packet, 0, 12 + payload.length, port, HOST);
    this.counts.sent++;
  }
}

function writeHeader(packet: Buffer, marker: boolean, payloadType: number, sequence: number, timestamp: number, ssrc: number): void {
  packet[0] = 0x80;
  packet[1] = (marker ? 0x80 : 0) | payloadType;
  packet.writeUInt16BE(sequence, 2);
  packet.writeUInt32BE(timestamp, 4);
  packet.writeUInt32BE(ssrc, 8);
}
