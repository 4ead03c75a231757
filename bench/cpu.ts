/**
 * CPU used by each process of the bench over one phase, as a share of one core: on a 2-core machine the load
 * generator and the callback receiver compete with paytone, so their cost is part of every figure.
 */
import { cpuSecondsOf, ownCpuSeconds } from './processes.js';
import { epochMs } from './load.js';

export type CpuShares = Record<string, number>;

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
