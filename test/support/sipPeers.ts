/**
 * Real SIP peers from Debian for the call tests, all on 127.0.0.1: SIPp (`sip-tester`) runs a scenario of ours
 * under `timeout`; baresip answers as an agent, plays a WAV file and records what it hears (sndfile); an RTP
 * endpoint of ours plays a caller's audio and records what comes back, for scenarios where SIPp does the
 * signalling. A test calls `peersOrSkip` first: without the tools it skips with the reason (under CI=true, where
 * `.ci/run` installs them, it fails instead).
 *
 * @example
 *   const sipp = await runSipp(scenario, { port: paytone.sipPort, service: '+15551230001' });
 *   assert.equal(sipp.code, 0, sipp.log);
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import alawmulaw from 'alawmulaw';

export function tools(): string | null {
  for (const tool of ['sipp', 'baresip']) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (apt-get install sip-tester baresip)`;
    }
  }
  return null;
}

/** The skip reason, or throws under CI=true where the tools must be there. */
export function peersOrSkip(): string | undefined {
  const missing = tools();
  if (missing !== null && process.env.CI === 'true') throw new Error(`CI must have the SIP peers: ${missing}`);
  return missing ?? undefined;
}

/** A free UDP port on 127.0.0.1 (bound and let go: good enough for one test at a time). */
export async function freePort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export function scratchDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-sip-'));
}

export interface SippRun {
  code: number | null;
  /** SIPp's screen and error log, for the assertion message. */
  log: string;
}

export interface RunningSipp {
  localPort: number;
  done: Promise<SippRun>;
  stop(): void;
  /**
   * Lets a scenario waiting at a `{ cue: true }` step go on (UDP only): an OPTIONS with its call's Call-ID, which
   * SIPp takes as the request the step waits for. Send one only while it waits: anything else is unexpected there.
   */
  cue(): Promise<void>;
}

/** Starts SIPp with a scenario: as a UAC toward `target` (with `service` as the user part), or as a UAS. */
export async function startSipp(scenario: string, options: { target?: number; service?: string; localPort?: number; seconds?: number; tcp?: boolean; media?: boolean }): Promise<RunningSipp> {
  const dir = scratchDir();
  const file = path.join(dir, 'scenario.xml');
  fs.writeFileSync(file, scenario);
  const localPort = options.localPort ?? (await freePort());
  const args = [String(options.seconds ?? 30), 'sipp', ...(options.target ? [`127.0.0.1:${options.target}`] : []), '-sf', file, '-m', '1', '-i', '127.0.0.1', '-p', String(localPort), '-nostdin', '-trace_err', '-error_file', path.join(dir, 'errors.log')];
  if (options.service) args.push('-s', options.service);
  if (options.tcp) args.push('-t', 't1');
  // A Call-ID the test knows (SIPp's %u is the call's number, 1 with -m 1), so that it can cue the scenario.
  const callId = `cue-${crypto.randomBytes(6).toString('hex')}-1@127.0.0.1`;
  args.push('-cid_str', callId.replace('-1@', '-%u@'));
  // SIPp's own RTP (play_dtmf, rtp_stream) from a port of its own on 127.0.0.1.
  if (options.media) args.push('-mi', '127.0.0.1', '-mp', String(await freePort()));
  const child = spawn('timeout', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const done = new Promise<SippRun>((resolve) =>
    child.on('close', (code) => {
      const errors = fs.existsSync(path.join(dir, 'errors.log')) ? fs.readFileSync(path.join(dir, 'errors.log'), 'utf8') : '';
      resolve({ code, log: `${out.slice(-3000)}\n${errors.slice(-3000)}` });
    }),
  );
  let cues = 0;
  const cue = async () => {
    const request = [
      `OPTIONS sip:caller@127.0.0.1:${localPort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK${callId.slice(4, 16)}c${++cues}`,
      'From: <sip:test@127.0.0.1>;tag=cue',
      'To: <sip:caller@127.0.0.1>',
      `Call-ID: ${callId}`,
      `CSeq: ${cues} OPTIONS`,
      'Max-Forwards: 70',
      'Content-Length: 0',
    ];
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => socket.send(`${request.join('\r\n')}\r\n\r\n`, localPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    socket.close();
  };
  return { localPort, done, stop: () => child.kill('SIGTERM'), cue };
}

/** A caller's (or agent's) RTP: plays µ-law audio toward whoever sends to it first, records what it receives. */
export class RtpEndpoint {
  readonly received: number[] = [];
  private target: { address: string; port: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private sequence = 1;
  private offset = 0;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly audio: Uint8Array,
  ) {
    socket.on('message', (packet, from) => {
      if (packet.length < 12 || (packet[1]! & 0x7f) !== 0) return;
      this.received.push(...packet.subarray(12));
      if (this.target === null) {
        this.target = { address: from.address, port: from.port };
        this.play();
      }
    });
  }

  static async open(audio: Uint8Array): Promise<RtpEndpoint> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new RtpEndpoint(socket, audio);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** What it received, decoded to samples. */
  heard(): Int16Array {
    return alawmulaw.mulaw.decode(Uint8Array.from(this.received));
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.socket.close();
  }

  /**
   * Presses `key` as a phone does with RFC 4733 (PT 96, as the SIPp caller offers it): events on the audio's SSRC,
   * the first with the marker bit, every 20 ms for `ms`, then the end sent three times. The audio keeps flowing.
   */
  async pressKey(key: string, ms = 160): Promise<void> {
    const event = '0123456789*#'.indexOf(key);
    const timestamp = this.offset;
    const send = (duration: number, end: boolean, marker: boolean) => {
      const packet = Buffer.alloc(16);
      packet[0] = 0x80;
      packet[1] = (marker ? 0x80 : 0) | 96;
      packet.writeUInt16BE(this.sequence++ & 0xffff, 2);
      packet.writeUInt32BE(timestamp, 4);
      packet.writeUInt32BE(0x0c0ffee0, 8);
      packet[12] = event;
      packet[13] = (end ? 0x80 : 0) | 10;
      packet.writeUInt16BE(duration, 14);
      this.socket.send(packet, this.target!.port, this.target!.address);
    };
    for (let duration = 0; duration < ms * 8; duration += 160) {
      send(duration, false, duration === 0);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (let i = 0; i < 3; i++) send(ms * 8, true, false);
  }

  private play(): void {
    const started = process.hrtime.bigint();
    let frames = 0;
    const send = () => {
      // Every frame due by now goes out, so the stream keeps real time on a busy machine.
      const due = Number((process.hrtime.bigint() - started) / 20_000_000n) + 1;
      while (this.offset < this.audio.length && frames < due) {
        const packet = Buffer.alloc(172);
        packet[0] = 0x80;
        packet[1] = 0;
        packet.writeUInt16BE(this.sequence++ & 0xffff, 2);
        packet.writeUInt32BE(this.offset, 4);
        packet.writeUInt32BE(0x0c0ffee0, 8);
        packet.set(this.audio.subarray(this.offset, this.offset + 160), 12);
        this.socket.send(packet, this.target!.port, this.target!.address);
        this.offset += 160;
        frames++;
      }
      if (this.offset >= this.audio.length && this.timer) clearInterval(this.timer);
    };
    this.timer = setInterval(send, 10);
  }
}

/** A test signal of `seconds` at 8000 Hz that never repeats: a rising sweep with a little noise, µ-law. */
export function testSignal(seconds: number, seed = 1): { samples: Int16Array; mulaw: Uint8Array } {
  const samples = new Int16Array(seconds * 8000);
  let state = seed;
  for (let i = 0; i < samples.length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const f = 300 + (2700 * i) / samples.length;
    samples[i] = Math.round(9000 * Math.sin((2 * Math.PI * f * i) / 8000) + ((state % 2001) - 1000));
  }
  const mulaw = alawmulaw.mulaw.encode(samples);
  return { samples: alawmulaw.mulaw.decode(mulaw), mulaw };
}

/**
 * How much of `sent` arrived in `heard` sample for sample: the share of its 20 ms frames found whole in `heard`,
 * in the order sent. G.711 µ-law decoded and encoded again gives the same samples, so audio that crossed paytone
 * is the audio that went in, shifted in time; a frame the receiver's jitter buffer dropped or concealed is missing.
 */
export function framesHeard(heard: Int16Array, sent: Int16Array): number {
  const at = new Map<string, number[]>();
  for (let i = 0; i + 160 <= heard.length; i++) {
    const key = heard.subarray(i, i + 8).join(',');
    const list = at.get(key);
    if (list) list.push(i);
    else at.set(key, [i]);
  }
  let found = 0;
  let last = -1;
  const frames = Math.floor(sent.length / 160);
  for (let f = 0; f < frames; f++) {
    const frame = sent.subarray(f * 160, f * 160 + 160);
    const match = (at.get(frame.subarray(0, 8).join(',')) ?? []).find((i) => i > last && frame.every((v, k) => heard[i + k] === v));
    if (match !== undefined) {
      found++;
      last = match;
    }
  }
  return frames === 0 ? 0 : found / frames;
}

/** Reads a 16-bit PCM WAV file (as baresip's sndfile module writes them) into samples. */
export function readWav(file: string): Int16Array {
  const bytes = fs.readFileSync(file);
  const data = bytes.indexOf('data');
  const length = bytes.readUInt32LE(data + 4);
  const body = bytes.subarray(data + 8, data + 8 + Math.min(length, bytes.length - data - 8));
  return new Int16Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length - (body.length % 2)));
}

export function writeWav(file: string, samples: Int16Array): void {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + samples.length * 2, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(samples.length * 2, 40);
  fs.writeFileSync(file, Buffer.concat([header, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)]));
}

/** baresip as an agent: answers at once, plays `play`, records what it hears into `dir` (sndfile); gone after `seconds`. */
export async function startBaresipAgent(play: string, sipPort?: number, seconds = 60): Promise<{ port: number; dir: string; child: ChildProcess; heardFile(): string | null; stop(): Promise<void> }> {
  const dir = scratchDir();
  const port = sipPort ?? (await freePort());
  fs.writeFileSync(
    path.join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${port}`,
      'net_interface 127.0.0.1',
      'answermode auto',
      `audio_source aufile,${play}`,
      'audio_player aufile,/dev/null',
      'audio_alert aufile,/dev/null',
      `snd_path ${dir}`,
      'rtp_ports 47000-47999',
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module sndfile.so',
      'module account.so',
      'module menu.so',
      'module uuid.so',
      'module_app account.so',
      'module_app menu.so',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(dir, 'accounts'), `<sip:agent@127.0.0.1:${port}>;regint=0;answermode=auto;audio_codecs=PCMU\n`);
  const child = spawn('timeout', [String(seconds), 'baresip', '-f', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 10_000;
  while (!/baresip is ready|ua: .*agent/i.test(out) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    port,
    dir,
    child,
    heardFile() {
      const file = fs.readdirSync(dir).find((name) => name.endsWith('-dec.wav'));
      return file === undefined ? null : path.join(dir, file);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
