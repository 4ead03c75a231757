/**
 * CPU used by each process of the bench over one phase, as a share of one core: on a 2-core machine the load
 * generator and the callback receiver compete with paytone, so their cost is part of every figure.
 *
 * A name may stand for several processes (a cluster's members), or for processes found when the phase starts and
 * ends (PostgreSQL's backends of the bench's database, which come and go with its connection pools): their CPU is
 * added up, a process that appeared meanwhile counting from zero.
 */
import { cpuSecondsOf, ownCpuSeconds } from './processes.js';
import { epochMs } from './load.js';

export type CpuShares = Record<string, number>;

/** One process, several, or those a lister finds at each reading. */
export type Metered = number | number[] | (() => number[]);

/** paytone's CPU time per unit of work (a request, a session, a keypress) over a phase, in ms. */
export function cpuMsPer(shares: CpuShares, seconds: number, units: number, name?: string): number {
  return ((shares[name ?? ''] ?? shares.paytone ?? shares.bare ?? NaN) / 100) * seconds * 1000 / units;
}

/** CPU seconds of each process of `metered` now, by pid; a process that ended meanwhile is left out. */
function readEach(metered: Metered): Map<number, number> {
  const pids = typeof metered === 'function' ? metered() : typeof metered === 'number' ? [metered] : metered;
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    try {
      seconds.set(pid, cpuSecondsOf(pid));
    } catch {
      // Gone between listing and reading.
    }
  }
  return seconds;
}

/** Starts counting for the named processes (`generator` is this process); `stop()` returns % of one core each. */
export function meterCpu(processes: Record<string, Metered>): { stop(): CpuShares } {
  const read = (): Record<string, Map<number, number>> => ({
    generator: new Map([[0, ownCpuSeconds()]]),
    ...Object.fromEntries(Object.entries(processes).map(([name, metered]) => [name, readEach(metered)])),
  });
  const before = read();
  const started = epochMs();
  return {
    stop() {
      const after = read();
      const seconds = (epochMs() - started) / 1000;
      const used = (name: string) => [...after[name]!].reduce((sum, [pid, cpu]) => sum + cpu - (before[name]!.get(pid) ?? 0), 0);
      return Object.fromEntries(Object.keys(after).map((name) => [name, Math.round((used(name) / seconds) * 100)]));
    },
  };
}
