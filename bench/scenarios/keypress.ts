/**
 * Keypress to callback: many callers type a card number at once, paced like people on a keypad
 * (PAYTONE_DTMF_INTERVAL_MS); for each digit, the time from the session taking it (the event's decision time,
 * stored with the event) to its PartialResult=true callback arriving at the app.
 *
 * The headline counts only digits taken while every session was typing: after the last keypad request was
 * accepted and before the first card number was complete. When that window is empty (a tiny run on a busy
 * machine), it counts every digit and says so.
 */
import { Agent, CARD_FIELDS } from '../flows.js';
import { Client, epochMs, fixedConcurrency, percentile } from '../load.js';
import { cpuMsPer, meterCpu, type CpuShares } from '../cpu.js';
import { meterDatabase, type DatabaseCost } from '../cost.js';
import { ACCOUNT_SID, AUTH_TOKEN, type Paytone, type Receiver } from '../processes.js';

export interface KeypressProfile {
  sessions: number;
  /** PAYTONE_DTMF_INTERVAL_MS of this paytone: the pause between two keypresses of one caller. */
  intervalMs: number;
}

export interface KeypressFigures {
  sessions: number;
  intervalMs: number;
  /** Which digits the headline counts: those taken while every session typed, or (tiny runs) all of them. */
  measuredOver: 'all sessions typing' | 'whole phase';
  /** The headline digits, their rate, and their latency. */
  keypresses: number;
  keypressesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Every digit of the phase, including the ramp up and down. */
  allKeypresses: number;
  allP99Ms: number;
  /** Every key of every session over the phase, from the first keypad request to the last field's end. */
  wholePhaseKeypressesPerSecond: number;
  /** Card numbers that ended refused (an `ErrorType`): cut short, their missing digits counted in `missing`. */
  refused: number;
  /** Sessions whose card number never ended (no field-end callback within two minutes of the last key). */
  unfinished: number;
  /** Per-digit callbacks that never arrived. */
  missing: number;
  cpuPercent: CpuShares;
  /** paytone's CPU per keypress over the phase (the keypad requests and field ends included). */
  paytoneCpuMsPerKeypress: number;
  /** A cluster: what each keypress cost its database (the keypad requests and field ends included). */
  database?: DatabaseCost;
}

const SETUP_CONCURRENCY = 32;
const KEYPAD_CONCURRENCY = 64;

export async function benchKeypress(p: { paytone: Paytone; receiver: Receiver; profile: KeypressProfile }): Promise<KeypressFigures> {
  const { sessions: count, intervalMs } = p.profile;
  const [capture, digits] = CARD_FIELDS[0]!;
  const client = new Client(p.paytone.baseUrls, KEYPAD_CONCURRENCY, [ACCOUNT_SID, AUTH_TOKEN]);
  const agent = new Agent(client, p.receiver);

  const waiting: Array<{ callSid: string; sid: string }> = [];
  await fixedConcurrency({ concurrency: SETUP_CONCURRENCY, count, seconds: 600 }, async () => {
    const callSid = await agent.placeCall();
    const sid = await agent.startSession(callSid);
    await agent.requestCapture(callSid, sid, capture);
    waiting.push({ callSid, sid });
  });
  if (waiting.length !== count) throw new Error(`only ${waiting.length} of ${count} sessions could be set up`);
  await p.receiver.partials();

  const traffic = await meterDatabase(p.paytone);
  const cpu = meterCpu({ paytone: p.paytone.pids, receiver: p.receiver.pid, ...p.paytone.alongside });
  const started = epochMs();
  const typingMs = digits.length * intervalMs;
  const ended = waiting.map(({ sid }) => p.receiver.arrival(sid, capture, typingMs + 120_000));
  await fixedConcurrency({ concurrency: KEYPAD_CONCURRENCY, count, seconds: 600 }, (i) => agent.type(waiting[i]!.callSid, digits).then(() => undefined));
  const allTyping = epochMs();
  // A card number that never ends is reported (`unfinished`, its digits `missing`), not taken for a failed run.
  const ends = (await Promise.allSettled(ended)).flatMap((end) => (end.status === 'fulfilled' ? [end.value] : []));
  if (ends.length === 0) throw new Error('no card number ended');
  const cpuPercent = cpu.stop();
  const phaseEnd = epochMs();
  const database = await traffic.stop(cpuPercent, (phaseEnd - started) / 1000, count * digits.length);
  await client.close();

  const firstEnd = Math.min(...ends.map((e) => e.at));
  const lastEnd = Math.max(...ends.map((e) => e.at));
  const arrivals = await p.receiver.partials();
  const decided = await p.paytone.store.captureEventTimes();
  const all: number[] = [];
  const steady: number[] = [];
  let steadyFrom = Infinity;
  let steadyTo = 0;
  for (const [token, at] of decided) {
    const arrived = arrivals.get(token);
    if (arrived === undefined) {
      // Field ends are waited on above; only per-digit callbacks are counted here.
      continue;
    }
    const latency = arrived - at;
    all.push(latency);
    if (at >= allTyping && at <= firstEnd) {
      steady.push(latency);
      steadyFrom = Math.min(steadyFrom, at);
      steadyTo = Math.max(steadyTo, at);
    }
  }
  const missing = count * (digits.length - 1) - all.length;
  const measuredOver = steady.length > 0 ? 'all sessions typing' : 'whole phase';
  const headline = steady.length > 0 ? steady : all;
  const seconds = steady.length > 0 ? Math.max(steadyTo - steadyFrom, 1) / 1000 : (firstEnd - started) / 1000;
  return {
    sessions: count,
    intervalMs,
    measuredOver,
    keypresses: headline.length,
    keypressesPerSecond: headline.length / seconds,
    p50Ms: percentile(headline, 50),
    p99Ms: percentile(headline, 99),
    maxMs: percentile(headline, 100),
    allKeypresses: all.length,
    unfinished: count - ends.length,
    refused: ends.filter((end) => end.errorType !== '').length,
    wholePhaseKeypressesPerSecond: (count * digits.length) / (Math.max(lastEnd - started, 1) / 1000),
    allP99Ms: percentile(all, 99),
    missing,
    cpuPercent,
    paytoneCpuMsPerKeypress: cpuMsPer(cpuPercent, (phaseEnd - started) / 1000, count * digits.length),
    database,
  };
}
