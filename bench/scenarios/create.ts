/**
 * Payment create at fixed concurrency: paytone against the bare node:http server, same generator, same body,
 * same concurrency, one after the other in the same run, each measured once it has warmed up.
 */
import { Agent, paymentsPath } from '../flows.js';
import { Client, fixedConcurrency, percentile, type LoopResult } from '../load.js';
import { cpuMsPer, meterCpu, type CpuShares } from '../cpu.js';
import { meterDatabase, type DatabaseCost } from '../cost.js';
import { warmUp, type WarmUp, type WarmUpProfile } from '../warmup.js';
import { ACCOUNT_SID, AUTH_TOKEN, type BareServer, type Paytone, type Receiver } from '../processes.js';

/** The phase's size; its warm-up is counted in requests (warmup.ts). */
export interface CreateProfile extends WarmUpProfile {
  concurrency: number;
  count: number;
  seconds: number;
}

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
  /** A cluster: what each request cost its database. */
  database?: DatabaseCost;
}

export interface CreateFigures {
  concurrency: number;
  bare: Throughput;
  paytone: Throughput;
  ratioToBare: number;
  /** paytone's CPU per create as a multiple of the bare server's CPU per request: what the generator does not bound. */
  cpuMultipleOfBare: number;
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

/** Each server is measured once it has warmed up (warmup.ts). */
export async function benchCreate(p: { paytone: Paytone; bare: BareServer; receiver: Receiver; profile: CreateProfile }): Promise<CreateFigures> {
  const { profile } = p;
  const credentials: [string, string] = [ACCOUNT_SID, AUTH_TOKEN];
  const path = paymentsPath('CA' + '0'.repeat(32));

  const bareClient = new Client(p.bare.url, profile.concurrency, credentials);
  const bareAgent = new Agent(bareClient, p.receiver);
  const bareLoop = (count: number) => fixedConcurrency({ ...profile, count }, () => bareClient.expect(201, path, bareAgent.createForm()).then(() => undefined));
  const bareWarmup = await warmUp({ ...profile, server: { bare: p.bare.pid }, round: bareLoop });
  let cpu = meterCpu({ bare: p.bare.pid });
  const bare = throughput(await bareLoop(profile.count), cpu.stop());
  await bareClient.close();

  // Every create needs a call of its own with no open session: placed beforehand, outside the measurement.
  const client = new Client(p.paytone.baseUrls, profile.concurrency, credentials);
  const agent = new Agent(client, p.receiver);
  const calls: string[] = [];
  const placeCalls = async (count: number) => {
    await fixedConcurrency({ concurrency: profile.concurrency, count, seconds: 600 }, async () => {
      calls.push(await agent.placeCall());
    });
  };
  const create = (count: number) => fixedConcurrency({ ...profile, count }, () => agent.startSession(calls.pop()!).then(() => undefined));
  const paytoneWarmup = await warmUp({ ...profile, server: { paytone: p.paytone.pids }, round: create, prepare: placeCalls });
  await placeCalls(profile.count);
  const database = await meterDatabase(p.paytone);
  cpu = meterCpu({ paytone: p.paytone.pids, receiver: p.receiver.pid, ...p.paytone.alongside });
  const paytone = throughput(await create(profile.count), cpu.stop());
  paytone.database = await database.stop(paytone.cpuPercent, paytone.seconds, paytone.requests);
  await client.close();

  return {
    concurrency: profile.concurrency,
    bare,
    paytone,
    ratioToBare: paytone.requestsPerSecond / bare.requestsPerSecond,
    cpuMultipleOfBare: paytone.serverCpuMsPerRequest / bare.serverCpuMsPerRequest,
    warmup: { bare: bareWarmup, paytone: paytoneWarmup },
  };
}
