/**
 * The RTP side of one call leg: a port pair, what the SDP negotiated, and both directions of audio.
 *
 * Receiving: packets are accepted from the address the SDP named or the leg's signalling address, and the first
 * one accepted latches the leg to its source address and port (symmetric RTP, for peers behind NAT). Latching
 * connects the RTP socket to that address: from then on the kernel drops packets from anywhere else (they never
 * wake paytone), and each send skips Node's per-datagram address lookup (a deferred tick) and the kernel's route
 * lookup. Before latching, packets from other addresses are dropped and counted. RTCP (on the odd port, or
 * multiplexed) is read and ignored.
 * Audio is decoded into 20 ms frames for `sink`; telephone-event packets go to `onTelephoneEvent`.
 *
 * Sending: paytone originates the stream (its own SSRC, sequence and timestamps, whatever the other leg sent),
 * one packet per beat of the media clock: the next frame of `prompt` while one plays (what the call's TwiML says),
 * else of `outgoing`, or silence when none waits, so timing and timestamps stay steady when the other side is quiet.
 * Nothing is sent while the peer has put the call on hold.
 *
 * @example
 *   const media = new MediaLeg(await pool.open(), { host: '192.0.2.10', signalling: '198.51.100.7', clock });
 *   media.negotiate(answered.media);
 *   media.sink = agentMedia.outgoing;
 *   media.start();
 */
import { randomInt } from 'node:crypto';
import { decodeG711, encodeG711, FRAME_SAMPLES } from './g711.js';
import { FrameQueue, type FrameSink } from './frames.js';
import type { MediaClock, Paced } from './mediaClock.js';
import type { RtpPorts } from './ports.js';
import { isRtcp, newRtpView, readRtp, RTP_HEADER_BYTES, writeRtpHeader, type RtpView } from './rtp.js';
import type { NegotiatedMedia } from './sdp.js';

/** Packets in flight per leg: a buffer is reused only after this many later packets were sent (over 300 ms). */
const SEND_BUFFERS = 16;

export interface MediaLegOptions {
  /** The address written into our SDP. */
  host: string;
  /** Where the leg's SIP came from: its RTP may come from there too (NAT). */
  signalling: string;
  clock: MediaClock;
}

/** Audio paytone itself plays to the peer (a prompt), pulled one 20 ms frame per beat; null once it has ended. */
export interface FrameSource {
  next(): Int16Array | null;
}

export interface MediaCounts {
  received: number;
  /** Packets from an address other than the latched (or, before latching, an expected) one. */
  strangers: number;
  sent: number;
}

export class MediaLeg implements Paced {
  sink: FrameSink | null = null;
  /** An RFC 4733 event packet: `view` and `packet` are lent for the duration of the call. */
  onTelephoneEvent: ((view: RtpView, packet: Buffer) => void) | null = null;
  readonly outgoing = new FrameQueue();
  /** A prompt playing, ahead of `outgoing`; cleared when it ends. */
  prompt: FrameSource | null = null;
  readonly counts: MediaCounts = { received: 0, strangers: 0, sent: 0 };
  private media: NegotiatedMedia | null = null;
  private latched: { address: string; port: number } | null = null;
  /** Where the RTP socket is connected (or connecting) to: the latched address, or null. */
  private connected: { address: string; port: number; ready: boolean } | null = null;
  private readonly view = newRtpView();
  private readonly frame = new Int16Array(FRAME_SAMPLES);
  private filled = 0;
  private frameTime = 0;
  private readonly silence = new Int16Array(FRAME_SAMPLES);
  private readonly buffers = Array.from({ length: SEND_BUFFERS }, () => Buffer.alloc(RTP_HEADER_BYTES + FRAME_SAMPLES));
  private nextBuffer = 0;
  private readonly ssrc = randomInt(0, 2 ** 32 - 1);
  private sequence = randomInt(0, 65536);
  private timestamp = randomInt(0, 2 ** 32 - 1);
  private first = true;
  private running = false;

  constructor(
    private readonly ports: RtpPorts,
    private readonly options: MediaLegOptions,
  ) {
    ports.rtp.on('message', (packet, from) => this.receive(packet, from.address, from.port));
    ports.rtcp.on('message', () => undefined);
  }

  get local(): { address: string; port: number } {
    return { address: this.options.host, port: this.ports.port };
  }

  get negotiated(): NegotiatedMedia | null {
    return this.media;
  }

  /** Sets (or, after a re-INVITE, changes) what the SDP agreed; a new remote address unlatches the leg. */
  negotiate(media: NegotiatedMedia): void {
    const moved = this.media !== null && (this.media.remote.address !== media.remote.address || this.media.remote.port !== media.remote.port);
    if (moved) this.unlatch();
    this.media = media;
  }

  /** Starts sending on the media clock's beat. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.options.clock.add(this);
  }

  /** Stops both directions; the port pair is the caller's to release. */
  stop(): void {
    this.running = false;
    this.options.clock.delete(this);
    this.sink = null;
    this.onTelephoneEvent = null;
    this.ports.rtp.removeAllListeners('message');
    this.ports.rtcp.removeAllListeners('message');
  }

  tick(): void {
    const media = this.media;
    const queued = this.outgoing.take();
    if (media === null || media.direction === 'recvonly' || media.direction === 'inactive') {
      this.first = true;
      return;
    }
    const prompted = this.prompt?.next() ?? null;
    if (prompted === null) this.prompt = null;
    const frame = prompted ?? queued;
    const target = this.latched ?? media.remote;
    const packet = this.buffers[this.nextBuffer]!;
    this.nextBuffer = (this.nextBuffer + 1) % SEND_BUFFERS;
    writeRtpHeader(packet, this.first, media.payloadType, this.sequence, this.timestamp, this.ssrc);
    encodeG711(media.codec, frame ?? this.silence, packet, RTP_HEADER_BYTES);
    this.first = false;
    this.sequence = (this.sequence + 1) & 0xffff;
    this.timestamp = (this.timestamp + FRAME_SAMPLES) >>> 0;
    const connected = this.connected;
    if (connected === null) this.ports.rtp.send(packet, target.port, target.address);
    else if (connected.ready) this.ports.rtp.send(packet);
    // A send issued while the socket connects (one tick) would go out addressed once it is connected, and be
    // refused: that frame is lost instead.
    else return;
    this.counts.sent++;
  }

  /** Beats passed with nothing sent: the timestamps jump over them (the marker starts the audio again), and the
   * audio that waited for them is dropped rather than kept as added delay. */
  skip(frames: number): void {
    this.timestamp = (this.timestamp + frames * FRAME_SAMPLES) >>> 0;
    this.first = true;
    this.outgoing.drop(frames);
  }

  private receive(packet: Buffer, address: string, port: number): void {
    const media = this.media;
    if (media === null || isRtcp(packet) || !readRtp(packet, this.view)) return;
    if (this.latched === null) {
      if (address !== media.remote.address && address !== this.options.signalling) {
        this.counts.strangers++;
        return;
      }
      this.latch(address, port);
    } else if (address !== this.latched.address || port !== this.latched.port) {
      this.counts.strangers++;
      return;
    }
    this.counts.received++;
    // Every few packets, the beat gets a chance even while a backlog of datagrams is being read.
    if ((this.counts.received & 7) === 0) this.options.clock.poll();
    const view = this.view;
    if (view.payloadType === media.payloadType) this.audio(packet, view);
    else if (view.payloadType === media.telephoneEvent) this.onTelephoneEvent?.(view, packet);
  }

  private latch(address: string, port: number): void {
    this.latched = { address, port };
    const connecting = { address, port, ready: false };
    this.connected = connecting;
    const rtp = this.ports.rtp;
    // A connect that fails leaves the socket unconnected: sends go addressed, as before latching.
    const failed = () => {
      if (this.connected === connecting) this.connected = null;
    };
    rtp.once('error', failed);
    rtp.connect(port, address, () => {
      rtp.off('error', failed);
      connecting.ready = true;
      // Unlatched (a re-INVITE moved the peer) while connecting.
      if (this.connected !== connecting) this.disconnect(connecting);
    });
  }

  private unlatch(): void {
    this.latched = null;
    const connected = this.connected;
    this.connected = null;
    if (connected?.ready) this.disconnect(connected);
  }

  private disconnect(connected: { ready: boolean }): void {
    connected.ready = false;
    try {
      this.ports.rtp.disconnect();
    } catch {
      // Already disconnected, or the leg's socket closed.
    }
  }

  /** Cuts the packet's samples into 20 ms frames (peers may send 10 or 30 ms packets). */
  private audio(packet: Buffer, view: RtpView): void {
    let offset = view.payloadOffset;
    let left = view.payloadLength;
    let time = view.timestamp;
    while (left > 0) {
      if (this.filled === 0) this.frameTime = time;
      const take = Math.min(left, FRAME_SAMPLES - this.filled);
      decodeG711(this.media!.codec, packet, offset, take, this.frame, this.filled);
      this.filled += take;
      offset += take;
      left -= take;
      time = (time + take) >>> 0;
      if (this.filled === FRAME_SAMPLES) {
        this.filled = 0;
        this.sink?.write(this.frame, this.frameTime);
      }
    }
  }
}
