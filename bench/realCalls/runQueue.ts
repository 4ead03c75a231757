/**
 * How long a thread was ready to run but waited for a CPU (the kernel's `run_delay`, /proc/PID/task/TID/schedstat):
 * on a machine shared with other work, the part of a late beat that is the scheduler's, not the thread's own event
 * loop. Over the real-calls window it is read for paytone's main thread (which runs the media clock) and, apart,
 * for the bench's agents' thread that times paytone's frames.
 *
 * @example
 *   const waits = meterRunQueue({ paytone: paytonePid });
 *   // ... the window
 *   waits.stop();   // { paytone: 12.5 }: ms waited for a CPU per second of the window
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Nanoseconds the thread `tid` of process `pid` has waited on a run queue so far; NaN where unreadable. */
export function waitedNs(pid: number, tid = pid): number {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
  } catch {
    return NaN;
  }
}

/** The thread of this process running at `nice` (the one thread set apart by its priority), or null. */
export function threadAtNice(nice: number): number | null {
  for (const tid of fs.readdirSync('/proc/self/task')) {
    const fields = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // After the command: state is field 3 of stat, nice field 19.
    if (Number(fields[16]) === nice) return Number(tid);
  }
  return null;
}

/** Starts reading each named thread (`[pid, tid]`); `stop()` gives the ms each waited for a CPU per second since. */
export function meterRunQueue(threads: Record<string, [number, number]>): { stop(): Record<string, number> } {
  const started = performance.now();
  const before = Object.fromEntries(Object.entries(threads).map(([name, [pid, tid]]) => [name, waitedNs(pid, tid)]));
  return {
    stop: () => {
      const seconds = (performance.now() - started) / 1000;
      return Object.fromEntries(Object.entries(threads).map(([name, [pid, tid]]) => [name, (waitedNs(pid, tid) - before[name]!) / 1e6 / seconds]));
    },
  };
}
