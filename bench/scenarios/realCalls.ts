/**
 * Real calls: N concurrent SIP calls through paytone, each bridged by `<Dial><Sip>` to an agent, RTP both ways at
 * 50 packets a second on both legs, and a pay session on the caller's CallSid asking for the card number again
 * and again while the caller types it: each key as tones in the audio, as RFC 4733 events, or both at once (in
 * turn), one key every 300 ms (100 ms of tone). The in-band detector runs on every caller's audio, and masking is
 * on (paytone's default `PAYTONE_DTMF_MASK=flat`). The callers and agents (bench/realCalls/) are this process,
 * on the same machine: their CPU is in the figures.
 *
 * Measured over a window once every call is typing: paytone's CPU per call; the agent legs' frame timing (gap
 * deviation from 20 ms, late frames: more than 20 ms after their slot); key to callback, from the key's first
 * packet leaving the caller to its capture callback arriving at the app (the receiver), by how it was sent.
 *
 * @example
 *   const figures = await benchRealCalls({ start, receiver, calls: 200, seconds: 20 });
 */
import { BenchMedia, type KeyWay } from '../realCalls/media.js';
import { SipPeers } from '../realCalls/sipPeers.js';
import type { FrameTimingFigures } from '../realCalls/frameTiming.js';
import { meterRunQueue, threadAtNice } from '../realCalls/runQueue.js';
import { INSTRUMENT_NICE } from '../realCalls/streams.js';
import { Agent } from '../flows.js';
import { Client, epochMs, fixedConcurrency, percentile } from '../load.js';
import { meterCpu, type CpuShares } from '../cpu.js';
import { ACCOUNT_SID, AUTH_TOKEN, freePort, type Paytone, type Receiver } from '../processes.js';
import type { CardCallback } from '../receiverProtocol.js';

const NUMBER = '+15551230001';
const CARD = '4242424242424242#';
const CAPTURE = 'payment-card-number';
const WAYS: KeyWay[] = ['in-band', 'rfc4733', 'both'];
const SETUP_CONCURRENCY = 16;
/** After every call types, this long before the window opens: every stream and session is past its start. */
const SETTLE_MS = 2000;

export interface RealCallsFigures {
  calls: number;
  /** Calls that could not be set up (refused, or no agent leg). */
  failedCalls: number;
  setupSeconds: number;
  windowSeconds: number;
  cpuPercent: CpuShares;
  /** paytone's CPU per call, % of one core. */
  paytoneCpuPercentPerCall: number;
  frames: FrameTimingFigures;
  /** Whether the agents' thread that timed the frames ran at its raised scheduling priority (bench/realCalls/mediaThread.ts). */
  framesTimedRaised: boolean;
  /**
   * ms per second of the window that paytone's main thread (its media clock) and the agents' timing thread were
   * ready to run but waited for a CPU (bench/realCalls/runQueue.ts): the machine's share of the lateness.
   */
  waitedForCpu: { paytone: number; agents: number };
  keys: {
    typed: number;
    /** Keys typed in the window whose callback never came. */
    missing: number;
    /** Card numbers that ended refused (an ErrorType). */
    refusedFields: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    byWay: Record<KeyWay, { keys: number; p50Ms: number; p99Ms: number }>;
  };
  /**
   * What paytone's /metrics counted over the window: keys by transport, masked keys, and its media clock's beats
   * (those later than 5 and 20 ms, and skipped): paytone's own pacing, apart from the agents' receiving.
   */
  paytoneMetrics: Record<string, number>;
  /** Whether this N met the minimum: p99 deviation <= 5 ms, no late frame, key-to-callback p99 <= 100 ms, no key missing. */
  holds: boolean;
}

interface Round {
  sentAt: number[];
  ways: KeyWay[];
}

export async function benchRealCalls(p: {
  start: (name: string, env: Record<string, string>) => Promise<Paytone>;
  receiver: Receiver;
  calls: number;
  seconds: number;
}): Promise<RealCallsFigures> {
  const n = p.calls;
  const sipPort = await freePort();
  const paytone = await p.start(`real-calls-${n}`, { PAYTONE_SIP_LISTEN: `127.0.0.1:${sipPort}`, PAYTONE_RTP_PORTS: '40000-49999' });
  const media = await BenchMedia.open(n);
  const peers = await SipPeers.start({ paytone: { host: '127.0.0.1', port: sipPort }, media });
  const client = new Client(paytone.baseUrls, SETUP_CONCURRENCY, [ACCOUNT_SID, AUTH_TOKEN]);
  const agent = new Agent(client, p.receiver);
  try {
    await client.expect(201, `/2010-04-01/Accounts/${ACCOUNT_SID}/IncomingPhoneNumbers.json`, { PhoneNumber: NUMBER, VoiceUrl: peers.voiceUrl });
    media.start();
    await p.receiver.cards();

    const setupStarted = epochMs();
    const sessions: Array<{ callSid: string; sid: string } | null> = Array.from({ length: n }, () => null);
    const setup = await fixedConcurrency({ concurrency: SETUP_CONCURRENCY, count: n, seconds: 300 }, async (i) => {
      const callSid = await peers.call(i, NUMBER, media);
      sessions[i] = { callSid, sid: await agent.startSession(callSid) };
    });
    const deadline = Date.now() + 30_000;
    while (media.agents < setup.done && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const setupSeconds = (epochMs() - setupStarted) / 1000;

    // Each call: ask for the card number, type it, wait for its end; again until the window has closed.
    let typing = true;
    const rounds = new Map<string, Round[]>();
    const refused = { count: 0 };
    const loops = sessions.map(async (session, i) => {
      if (session === null) return;
      const list: Round[] = [];
      rounds.set(session.sid, list);
      for (let round = 0; typing; round++) {
        await agent.requestCapture(session.callSid, session.sid, CAPTURE);
        const ways = [...CARD].map((_, k) => WAYS[(i + round + k) % WAYS.length]!);
        const ended = p.receiver.arrival(session.sid, CAPTURE, 60_000);
        list.push({ sentAt: await media.type(i, CARD, ways), ways });
        if ((await ended).errorType !== '') refused.count++;
      }
    });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS + 17 * 300));
    const metricsBefore = await paytoneMetrics(paytone.baseUrls[0]!);
    media.timing.start();
    const cpu = meterCpu({ paytone: paytone.pids, receiver: p.receiver.pid });
    const instrument = threadAtNice(INSTRUMENT_NICE);
    const waits = meterRunQueue({ paytone: [paytone.pids[0]!, paytone.pids[0]!], agents: [process.pid, instrument ?? -1] });
    const windowStart = epochMs();
    await new Promise((resolve) => setTimeout(resolve, p.seconds * 1000));
    const cpuPercent = cpu.stop();
    const waited = waits.stop();
    const windowEnd = epochMs();
    media.timing.stop();
    const metricsAfter = await paytoneMetrics(paytone.baseUrls[0]!);
    typing = false;
    await Promise.allSettled(loops);
    const latencies = keyLatencies(rounds, await p.receiver.cards(), windowStart, windowEnd);
    const frames = await media.timing.summary();
    const keys = { ...latencies, refusedFields: refused.count };
    return {
      calls: n,
      failedCalls: n - setup.done + (setup.done - media.agents > 0 ? setup.done - media.agents : 0),
      setupSeconds,
      windowSeconds: (windowEnd - windowStart) / 1000,
      cpuPercent,
      paytoneCpuPercentPerCall: (cpuPercent.paytone ?? NaN) / n,
      frames,
      framesTimedRaised: media.instrumentRaised,
      waitedForCpu: { paytone: waited.paytone!, agents: waited.agents! },
      keys,
      paytoneMetrics: Object.fromEntries(Object.entries(metricsAfter).map(([name, value]) => [name, value - (metricsBefore[name] ?? 0)])),
      holds: setup.done === n && frames.p99DeviationMs <= 5 && frames.lateFrames === 0 && keys.p99Ms <= 100 && keys.missing === 0,
    };
  } finally {
    media.stop();
    await peers.hangUpAll();
    await client.close();
    await peers.close();
    await media.close();
    await paytone.stop();
  }
}

/**
 * Key to callback for every key whose first packet left inside the window. A session's callbacks arrive in order
 * and a round starts only after the last one's field ended, so a callback belongs to the last round that began
 * before it arrived; within it, a per-digit callback showing `d` digits is key `d - 1`, and the one that ends the
 * field is its last digit or, when that digit already had its callback, the `#`.
 */
function keyLatencies(rounds: Map<string, Round[]>, cards: CardCallback[], from: number, to: number): Omit<RealCallsFigures['keys'], 'refusedFields'> {
  const arrivals = new Map<Round, Map<number, number>>();
  for (const [sid, digits, partial, at] of cards) {
    const list = rounds.get(sid);
    const round = [...(list ?? [])].reverse().find((r) => r.sentAt[0] !== undefined && r.sentAt[0] < at);
    if (round === undefined) continue;
    const got = arrivals.get(round) ?? new Map<number, number>();
    arrivals.set(round, got);
    got.set(partial || !got.has(digits - 1) ? digits - 1 : digits, at);
  }
  const all: number[] = [];
  const byWay = Object.fromEntries(WAYS.map((way) => [way, [] as number[]])) as Record<KeyWay, number[]>;
  let typed = 0;
  let missing = 0;
  for (const list of rounds.values()) {
    for (const round of list) {
      const got = arrivals.get(round);
      round.sentAt.forEach((sent, k) => {
        if (sent < from || sent > to) return;
        typed++;
        const at = got?.get(k);
        if (at === undefined) {
          missing++;
          return;
        }
        all.push(at - sent);
        byWay[round.ways[k]!].push(at - sent);
      });
    }
  }
  const summary = (samples: number[]) => ({ keys: samples.length, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) });
  return {
    typed,
    missing,
    p50Ms: percentile(all, 50),
    p99Ms: percentile(all, 99),
    maxMs: percentile(all, 100),
    byWay: Object.fromEntries(WAYS.map((way) => [way, summary(byWay[way])])) as RealCallsFigures['keys']['byWay'],
  };
}

/**
 * paytone's keypad counters (no label but the transport) and its media clock's beats from its /metrics: beats, those
 * later than 5 and 20 ms (`..._lateness_seconds_bucket`), and beats skipped.
 */
async function paytoneMetrics(baseUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const found: Record<string, number> = {};
  for (const match of text.matchAll(/^(paytone_dtmf_[a-z_]+_total|paytone_media_skipped_beats_total)(?:\{transport="([a-z0-9-]+)"\})? (\S+)$/gm)) {
    found[match[2] ? `${match[1]}{${match[2]}}` : match[1]!] = Number(match[3]);
  }
  const beats = histogram(text, 'paytone_media_beat_lateness_seconds');
  found.media_beats = beats.get('+Inf') ?? NaN;
  found.media_beats_later_than_5ms = found.media_beats - (beats.get('0.005') ?? NaN);
  found.media_beats_later_than_20ms = found.media_beats - (beats.get('0.02') ?? NaN);
  // paytone's part of key to callback: detection (on the caller's media timeline) and from the key's change to its
  // callback answered, each as cumulative bucket counts (`<=le`), so the window's difference reads as a histogram.
  for (const [short, name] of [['detection', 'paytone_dtmf_detection_seconds'], ['applied_to_callback', 'paytone_dtmf_to_callback_seconds']] as const) {
    for (const [le, count] of histogram(text, name)) found[`${short}<=${le}`] = count;
  }
  return found;
}

/** A histogram's cumulative bucket counts by `le`, summed over its labels. */
function histogram(text: string, name: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of text.matchAll(new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\} (\\S+)$`, 'gm'))) {
    counts.set(match[1]!, (counts.get(match[1]!) ?? 0) + Number(match[2]));
  }
  return counts;
}

/** The smallest bucket bound holding `percent`% of a histogram read by `paytoneMetrics` (`short<=le` counts), in ms. */
export function bucketPercentileMs(metrics: Record<string, number>, short: string, percent: number): number {
  const bounds = Object.keys(metrics)
    .filter((k) => k.startsWith(`${short}<=`))
    .map((k) => k.slice(short.length + 2));
  const total = metrics[`${short}<=+Inf`] ?? 0;
  if (total <= 0) return NaN;
  const finite = bounds.filter((b) => b !== '+Inf').map(Number).sort((a, b) => a - b);
  const bound = finite.find((b) => metrics[`${short}<=${b}`]! >= (total * percent) / 100);
  return bound === undefined ? Infinity : bound * 1000;
}

