/**
 * Warming a server up before its throughput is measured. A fresh Node process runs its hot paths unoptimized until
 * V8 has seen them often enough: paytone's first thousand creates each cost two to three times what they cost a few
 * thousand creates later, and the bare server's first thousand requests six times. Requests/s and sessions/s are
 * figures of the warmed-up server; how it warmed up is reported next to them.
 */
import type { LoopResult } from './load.js';
import { cpuMsPer, meterCpu, type Metered } from './cpu.js';

/** How a server warmed up: the units of work it took (requests or sessions), and its CPU per unit in each round, in ms. */
export interface WarmUp {
  count: number;
  cpuMsPerRound: number[];
}

/** How a phase warms its server up: `warmup` units of work a round, at most `warmupRounds` rounds. */
export interface WarmUpProfile {
  warmup: number;
  warmupRounds: number;
}

/** A round counts as no cheaper than the one before unless its CPU per unit is lower by more than this share. */
const STEADY = 0.95;

/**
 * Runs rounds of `warmup` units until a round costs the server no less CPU per unit than the round before, or
 * `warmupRounds` have run (a server still getting cheaper then is measured as it is). `prepare(count)` runs before
 * each round, outside its CPU count.
 */
export async function warmUp(a: WarmUpProfile & {
  server: { paytone: Metered } | { bare: Metered };
  round: (count: number) => Promise<LoopResult>;
  prepare?: (count: number) => Promise<void>;
}): Promise<WarmUp> {
  const warmup: WarmUp = { count: 0, cpuMsPerRound: [] };
  for (let i = 0; i < a.warmupRounds; i++) {
    await a.prepare?.(a.warmup);
    const cpu = meterCpu(a.server);
    const result = await a.round(a.warmup);
    const cpuMs = cpuMsPer(cpu.stop(), result.seconds, result.done);
    warmup.count += result.done;
    const previous = warmup.cpuMsPerRound.at(-1);
    warmup.cpuMsPerRound.push(cpuMs);
    if (previous !== undefined && cpuMs >= previous * STEADY) break;
  }
  return warmup;
}
