/**
 * Payment create at fixed concurrency: paytone against the bare node:http server, same generator, same body,
 * same concurrency, one after the other in the same run, each measured once it has warmed up.
 */
import { Agent, paymentsPath } from '../flows.js';
import { Client, fixedConcurrency, percentile, type LoopResult } from '../load.js';
import { cpuMsPer, meterCpu, type CpuShares } from '../cpu.js';
import { ACCOUNT_SID, AUTH_TOKEN, type BareServer, type Paytone, type Receiver } from '../processes.js';

export interface CreateProfile {
  concurrency: number;
  count: number;
  seconds: number;
  /** Requests in each warm-up round. */
  warmup: number;
  /** Warm-up rounds at most: a server still getting cheaper after them is measured as it is. */
  warmupRounds: number;
}

/** How a server warmed up: the requests it took, and its CPU per request in each round, in ms. */
export interface WarmUp {
  requests: number;
  cpuMsPerRound: number[];
}

/** A round's CPU per request counts as no lower than the round before's unless it is lower by more than this. */
const STEADY = 0.95;

export interface Throughput {
  requests: number;
  failed: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuPercent: CpuShares;
  /** CPU the server (paytone or the bare one) spent per request. */
  serverCpuMsPerRequest: number;
}

export interface CreateFigures {
  concurrency: number;
  bare: Throughput;
  paytone: Throughput;
  ratioToBare: number;
  warmup: { bare: WarmUp; paytone: WarmUp };
}

export function throughput(result: LoopResult, cpuPercent: CpuShares): Throughput {
  if (result.firstError !== null) process.stderr.write(`bench: ${result.failed} failed, first: ${result.firstError}\n`);
  return {
    requests: result.done,
    failed: result.failed,
    seconds: result.seconds,
    requestsPerSecond: result.done / result.seconds,
    p50Ms: percentile(result.latencies, 50),
    p99Ms: percentile(result.latencies, 99),
    cpuPercent,
    serverCpuMsPerRequest: cpuMsPer(cpuPercent, result.seconds, result.done),
  };
}

/**
 * Runs rounds of `profile.warmup` requests until a round costs the server no less CPU per request than the round
 * before (or `warmupRounds` have run). A fresh Node process runs its hot paths unoptimized until V8 has seen them
 * often enough: paytone's first thousand creates each cost two to three times what they cost a few thousand creates
 * later, and requests/s is a figure of the warmed-up server. `prepare(count)` runs before each round, outside its
 * CPU count.
 */
async function warmUp(
  profile: CreateProfile,
  server: { paytone: number } | { bare: number },
  round: (count: number) => Promise<LoopResult>,
  prepare: (count: number) => Promise<void> = async () => {},
): Promise<WarmUp> {
  const warmup: WarmUp = { requests: 0, cpuMsPerRound: [] };
  for (let i = 0; i < profile.warmupRounds; i++) {
    await prepare(profile.warmup);
    const cpu = meterCpu(server);
    const result = await round(profile.warmup);
    const cpuMs = cpuMsPer(cpu.stop(), result.seconds, result.done);
    warmup.requests += result.done;
    const previous = warmup.cpuMsPerRound.at(-1);
    warmup.cpuMsPerRound.push(cpuMs);
    if (previous !== undefined && cpuMs >= previous * STEADY) break;
  }
  return warmup;
}

export async function benchCreate(p: { paytone: Paytone; bare: BareServer; receiver: Receiver; profile: CreateProfile }): Promise<CreateFigures> {
  const { profile } = p;
  const credentials: [string, string] = [ACCOUNT_SID, AUTH_TOKEN];
  const path = paymentsPath('CA' + '0'.repeat(32));

  const bareClient = new Client(p.bare.url, profile.concurrency, credentials);
  const bareAgent = new Agent(bareClient, p.receiver);
  const bareLoop = (count: number) => fixedConcurrency({ ...profile, count }, () => bareClient.expect(201, path, bareAgent.createForm()).then(() => undefined));
  const bareWarmup = await warmUp(profile, { bare: p.bare.pid }, bareLoop);
  let cpu = meterCpu({ bare: p.bare.pid });
  const bare = throughput(await bareLoop(profile.count), cpu.stop());
  await bareClient.close();

  // Every create needs a call of its own with no open session: placed beforehand, outside the measurement.
  const client = new Client(p.paytone.baseUrl, profile.concurrency, credentials);
  const agent = new Agent(client, p.receiver);
  const calls: string[] = [];
  const placeCalls = async (count: number) => {
    await fixedConcurrency({ concurrency: profile.concurrency, count, seconds: 600 }, async () => {
      calls.push(await agent.placeCall());
    });
  };
  const create = (count: number) => fixedConcurrency({ ...profile, count }, () => agent.startSession(calls.pop()!).then(() => undefined));
  const paytoneWarmup = await warmUp(profile, { paytone: p.paytone.pid }, create, placeCalls);
  await placeCalls(profile.count);
  cpu = meterCpu({ paytone: p.paytone.pid, receiver: p.receiver.pid });
  const paytone = throughput(await create(profile.count), cpu.stop());
  await client.close();

  return {
    concurrency: profile.concurrency,
    bare,
    paytone,
    ratioToBare: paytone.requestsPerSecond / bare.requestsPerSecond,
    warmup: { bare: bareWarmup, paytone: paytoneWarmup },
  };
}
