/**
 * CPU used by each process of the bench over one phase, as a share of one core: on a 2-core machine the load
 * generator and the callback receiver compete with paytone, so their cost is part of every figure.
 */
import { cpuSecondsOf, ownCpuSeconds } from './processes.js';
import { epochMs } from './load.js';

export type CpuShares = Record<string, number>;

/** paytone's CPU time per unit of work (a request, a session, a keypress) over a phase, in ms. */
export function cpuMsPer(shares: CpuShares, seconds: number, units: number): number {
  return ((shares.paytone ?? shares.bare ?? NaN) / 100) * seconds * 1000 / units;
}

/** Starts counting for the named processes (`generator` is this process); `stop()` returns % of one core each. */
export function meterCpu(pids: Record<string, number>): { stop(): CpuShares } {
  const read = (): Record<string, number> => ({
    generator: ownCpuSeconds(),
    ...Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)])),
  });
  const before = read();
  const started = epochMs();
  return {
    stop() {
      const after = read();
      const seconds = (epochMs() - started) / 1000;
      return Object.fromEntries(Object.entries(after).map(([name, cpu]) => [name, Math.round(((cpu - before[name]!) / seconds) * 100)]));
    },
  };
}
