/**
 * Full card sessions at fixed concurrency: sandbox call, pay session, four card fields typed through the sandbox
 * keypad, complete; a session counts once its final callback (Result=success) has arrived, which, callbacks of
 * a session arriving in order, means every one of its callbacks did. Measured once paytone has warmed up (warmup.ts).
 */
import { Agent } from '../flows.js';
import { Client, fixedConcurrency, percentile } from '../load.js';
import { cpuMsPer, meterCpu, type CpuShares } from '../cpu.js';
import { meterDatabase, type DatabaseCost } from '../cost.js';
import { ACCOUNT_SID, AUTH_TOKEN, type Paytone, type Receiver } from '../processes.js';
import { warmUp, type WarmUp, type WarmUpProfile } from '../warmup.js';

/** The phase's size; its warm-up is counted in sessions (warmup.ts). */
export interface SessionsProfile extends WarmUpProfile {
  concurrency: number;
  count: number;
  seconds: number;
}

export interface SessionsFigures {
  concurrency: number;
  sessions: number;
  failed: number;
  seconds: number;
  sessionsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests the generator made per session, and callbacks paytone sent per session. */
  requestsPerSession: number;
  cpuPercent: CpuShares;
  paytoneCpuMsPerSession: number;
  /** A cluster: what each session cost its database. */
  database?: DatabaseCost;
  warmup: WarmUp;
}

const SESSION_TIMEOUT_MS = 60_000;

export async function benchSessions(p: { paytone: Paytone; receiver: Receiver; profile: SessionsProfile }): Promise<SessionsFigures> {
  const client = new Client(p.paytone.baseUrls, p.profile.concurrency, [ACCOUNT_SID, AUTH_TOKEN]);
  const agent = new Agent(client, p.receiver);
  const sessions = (count: number) => fixedConcurrency({ ...p.profile, count }, () => agent.cardPayment(SESSION_TIMEOUT_MS));
  const warmup = await warmUp({ ...p.profile, server: { paytone: p.paytone.pids }, round: sessions });
  const traffic = await meterDatabase(p.paytone);
  const cpu = meterCpu({ paytone: p.paytone.pids, receiver: p.receiver.pid, ...p.paytone.alongside });
  const result = await sessions(p.profile.count);
  const cpuPercent = cpu.stop();
  const database = await traffic.stop(cpuPercent, result.seconds, result.done);
  await client.close();
  if (result.firstError !== null) process.stderr.write(`bench: ${result.failed} sessions failed, first: ${result.firstError}\n`);
  return {
    concurrency: p.profile.concurrency,
    sessions: result.done,
    failed: result.failed,
    seconds: result.seconds,
    sessionsPerSecond: result.done / result.seconds,
    p50Ms: percentile(result.latencies, 50),
    p99Ms: percentile(result.latencies, 99),
    requestsPerSession: 3 + 2 * 4,
    cpuPercent,
    paytoneCpuMsPerSession: cpuMsPer(cpuPercent, result.seconds, result.done),
    database,
    warmup,
  };
}
