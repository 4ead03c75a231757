/**
 * Memory: paytone's resident size with many pay sessions open at once (each on its own sandbox call, started and
 * its start callback delivered), and what each one adds over a warmed-up server.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from '../flows.js';
import { Client, fixedConcurrency } from '../load.js';
import { ACCOUNT_SID, AUTH_TOKEN, residentBytesOf, type Paytone, type Receiver } from '../processes.js';

export interface MemoryProfile {
  sessions: number;
}

export interface MemoryFigures {
  openSessions: number;
  baselineMb: number;
  residentMb: number;
  perSessionKb: number;
}

const CONCURRENCY = 32;
/** Sessions opened before the baseline is read, so JIT and pools are warm; part of the total. */
const WARMUP = 100;
const SETTLE_MS = 2000;

export async function benchMemory(p: { paytone: Paytone; receiver: Receiver; profile: MemoryProfile }): Promise<MemoryFigures> {
  const client = new Client(p.paytone.baseUrls, CONCURRENCY, [ACCOUNT_SID, AUTH_TOKEN]);
  const agent = new Agent(client, p.receiver);
  const open = (count: number) =>
    fixedConcurrency({ concurrency: CONCURRENCY, count, seconds: 600 }, async () => {
      await agent.startSession(await agent.placeCall());
    });
  const delivered = async (count: number) => {
    const deadline = Date.now() + 120_000;
    while ((await p.receiver.stats()).total < count) {
      if (Date.now() > deadline) throw new Error('start callbacks were not all delivered');
      await sleep(100);
    }
  };
  await p.receiver.reset();
  await open(WARMUP);
  await delivered(WARMUP);
  await sleep(SETTLE_MS);
  const baseline = p.paytone.pids.reduce((sum, pid) => sum + residentBytesOf(pid), 0);
  const added = p.profile.sessions - WARMUP;
  const opened = await open(added);
  if (opened.failed > 0) throw new Error(`${opened.failed} sessions could not be opened: ${opened.firstError}`);
  await delivered(p.profile.sessions);
  await sleep(SETTLE_MS);
  const resident = p.paytone.pids.reduce((sum, pid) => sum + residentBytesOf(pid), 0);
  await client.close();
  return {
    openSessions: p.profile.sessions,
    baselineMb: baseline / 2 ** 20,
    residentMb: resident / 2 ** 20,
    perSessionKb: (resident - baseline) / added / 1024,
  };
}
