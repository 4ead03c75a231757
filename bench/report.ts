/**
 * The run's report: one table on stdout, and the same figures as JSON for bench/results/.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { CreateFigures } from './scenarios/create.js';
import type { WarmUp } from './warmup.js';
import type { SessionsFigures } from './scenarios/sessions.js';
import type { KeypressFigures } from './scenarios/keypress.js';
import type { MemoryFigures } from './scenarios/memory.js';
import type { RealCallsFigures } from './scenarios/realCalls.js';
import { clusterTable } from './clusterReport.js';
import { realCallsRows } from './realCallsReport.js';
export { clusterMinimums } from './clusterReport.js';

export interface CallbackCheck {
  /** Callbacks paytone queued during the create and sessions phases, and how many the receiver got. */
  queued: number;
  received: number;
  invalidSignatures: number;
  duplicates: number;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  /** 1-minute load average before and after the run: other work on the machine skews every figure. */
  loadBefore: number;
  loadAfter: number;
  dataFilesystem: string;
}

/** The figures of one paytone: embedded, or a cluster of processes. */
export interface Figures {
  create: CreateFigures;
  sessions: SessionsFigures;
  callbacks: CallbackCheck;
  /** Callers typing a card number each at the server's pace (keypad interval 0): how many keys a second it takes. */
  keypad: KeypressFigures;
  keypress: KeypressFigures;
  memory: MemoryFigures;
}

export type Minimum = { figure: string; minimum: string; reached: string; pass: boolean };

export interface Report extends Figures {
  date: string;
  command: string;
  profile: string;
  machine: Machine;
  minimums: Minimum[];
  /** `--cluster`: the same figures of N processes on PostgreSQL, in the same run. */
  clusters: Array<Figures & { processes: number }>;
  clusterMinimums: Minimum[];
  /** Real SIP calls through paytone, by number of concurrent calls (`--real-calls`, or the full run's list). */
  realCalls: RealCallsFigures[];
  realCallsMinimums: Minimum[];
}

export function describeMachine(loadBefore: number, dataFilesystem: string): Machine {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  return {
    cpus: os.availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadBefore,
    loadAfter: os.loadavg()[0]!,
    dataFilesystem,
  };
}

export function minimums(r: Figures): Minimum[] {
  const allDelivered = r.callbacks.received === r.callbacks.queued && r.callbacks.invalidSignatures === 0;
  return [
    { figure: 'payment create vs bare node:http', minimum: '>= 0.20x', reached: `${r.create.ratioToBare.toFixed(2)}x`, pass: r.create.ratioToBare >= 0.2 },
    {
      figure: 'full sessions/s (every callback received, valid)',
      minimum: '>= 150',
      reached: `${r.sessions.sessionsPerSecond.toFixed(1)}`,
      pass: r.sessions.sessionsPerSecond >= 150 && r.sessions.failed === 0 && allDelivered,
    },
    {
      figure: `keypress -> callback p99, ${r.keypress.sessions} typing`,
      minimum: '< 50 ms',
      reached: `${r.keypress.p99Ms.toFixed(1)} ms`,
      pass: r.keypress.p99Ms < 50 && r.keypress.missing === 0,
    },
    {
      figure: `resident size, ${r.memory.openSessions} open sessions`,
      minimum: '< 512 MB',
      reached: `${r.memory.residentMb.toFixed(0)} MB`,
      pass: r.memory.residentMb < 512,
    },
  ];
}

export const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
export const cpu = (shares: Record<string, number>) =>
  Object.entries(shares)
    .map(([name, percent]) => `${name} ${percent}%`)
    .join(', ');

/** 'after 4000 warm-up requests (ms CPU each by round: 1.35, 0.76, 0.59, 0.58)' */
export const warmedUp = (w: WarmUp, units = 'requests') => `after ${w.count} warm-up ${units} (ms CPU each by round: ${w.cpuMsPerRound.map((ms) => f(ms, 2)).join(', ')})`;

/** The rows of one paytone's figures: figure, what was measured, the CPU of each process. */
export function figureRows(r: Figures): Array<[string, string, string]> {
  return [
    [
      'payment create, bare node:http',
      `${f(r.create.bare.requestsPerSecond, 0)} req/s, p50 ${f(r.create.bare.p50Ms, 2)} ms, p99 ${f(r.create.bare.p99Ms, 2)} ms; ${f(r.create.bare.serverCpuMsPerRequest, 3)} ms CPU per request; ${warmedUp(r.create.warmup.bare)}`,
      cpu(r.create.bare.cpuPercent),
    ],
    [
      'payment create, paytone',
      `${f(r.create.paytone.requestsPerSecond, 0)} req/s (${f(r.create.ratioToBare, 2)}x bare), ${f(r.create.cpuMultipleOfBare, 1)}x the bare server's CPU per request, p50 ${f(r.create.paytone.p50Ms, 2)} ms, p99 ${f(r.create.paytone.p99Ms, 2)} ms; ${f(r.create.paytone.serverCpuMsPerRequest, 3)} ms CPU per request; ${warmedUp(r.create.warmup.paytone)}`,
      cpu(r.create.paytone.cpuPercent),
    ],
    [
      'full card sessions',
      `${f(r.sessions.sessionsPerSecond)} sessions/s, end to end p50 ${f(r.sessions.p50Ms, 0)} ms, p99 ${f(r.sessions.p99Ms, 0)} ms (${r.sessions.sessions} done, ${r.sessions.failed} failed); ${f(r.sessions.paytoneCpuMsPerSession, 1)} ms CPU per session; ${warmedUp(r.sessions.warmup, 'sessions')}`,
      cpu(r.sessions.cpuPercent),
    ],
    [
      `keys at the server's pace, ${r.keypad.sessions} typing`,
      `${f(r.keypad.wholePhaseKeypressesPerSecond, 0)} keys/s over the phase (each caller typing a card number in one keypad request), p99 ${f(r.keypad.allP99Ms)} ms key to callback, ${r.keypad.missing} missing; ${f(r.keypad.paytoneCpuMsPerKeypress, 2)} ms CPU per key`,
      cpu(r.keypad.cpuPercent),
    ],
    ['callbacks (create + sessions)', `${r.callbacks.received} of ${r.callbacks.queued} received, ${r.callbacks.invalidSignatures} bad signatures, ${r.callbacks.duplicates} duplicates`, ''],
    [
      `keypress -> callback, ${r.keypress.sessions} typing`,
      `p50 ${f(r.keypress.p50Ms)} ms, p99 ${f(r.keypress.p99Ms)} ms, max ${f(r.keypress.maxMs)} ms over ${r.keypress.keypresses} keys taken during ${r.keypress.measuredOver} (${f(r.keypress.keypressesPerSecond, 0)}/s, one key per ${r.keypress.intervalMs} ms per caller); all ${r.keypress.allKeypresses} keys p99 ${f(r.keypress.allP99Ms)} ms, ${r.keypress.missing} missing; ${f(r.keypress.paytoneCpuMsPerKeypress, 2)} ms CPU per key`,
      cpu(r.keypress.cpuPercent),
    ],
    ['memory', `${f(r.memory.residentMb, 0)} MB resident with ${r.memory.openSessions} open sessions (${f(r.memory.baselineMb, 0)} MB warm, ${f(r.memory.perSessionKb, 1)} KB per session)`, ''],
  ];
}

/** A markdown table of rows under the headings, its columns padded to one width each. */
export function markdownTable(rows: string[][], headings = ['figure', 'measured', 'CPU, % of one core']): string[] {
  const widths = headings.map((heading, i) => Math.max(...rows.map((row) => row[i]!.length), heading.length));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(headings), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}

export function table(r: Report): string {
  const rows = [...figureRows(r), ...realCallsRows(r.realCalls)];
  const out = markdownTable(rows);
  out.push('', ...minimumsTable([...r.minimums, ...r.realCallsMinimums]));
  if (r.clusters.length > 0) out.push('', ...clusterTable(r));
  const machine = r.machine;
  out.push(
    '',
    `${r.date} · ${r.command} · ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GB, node ${machine.node}, data on ${machine.dataFilesystem} · load ${f(machine.loadBefore, 2)} before, ${f(machine.loadAfter, 2)} after`,
  );
  return out.join('\n');
}

export function minimumsTable(list: Minimum[]): string[] {
  return ['| minimum | required | reached | |', '|---|---|---|---|', ...list.map((m) => `| ${m.figure} | ${m.minimum} | ${m.reached} | ${m.pass ? 'pass' : 'FAIL'} |`)];
}
