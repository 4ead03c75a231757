/**
 * The cluster part of a run's report: each cluster's figures beside the embedded ones of the same run, with what
 * an operation costs the database, and the minimums for a cluster.
 */
import type { DatabaseCost } from './cost.js';
import type { KeypressFigures } from './scenarios/keypress.js';
import { f, type Figures, type Minimum, type Report, markdownTable, minimumsTable } from './report.js';

type Cluster = Report['clusters'][number];

const perOp = (cost: DatabaseCost | undefined, paytoneMs: number) =>
  cost ? `${f(paytoneMs, 2)} + ${f(cost.postgresCpuMs, 2)} ms; ${f(cost.roundTrips, 1)} / ${f(cost.statements, 1)}` : `${f(paytoneMs, 2)} ms; none`;

/** Digits whose callback never came, and the card numbers refused or never ended that explain them. */
const lost = (k: KeypressFigures) => [`${k.missing}`, k.refused ? `${k.refused} cards refused` : '', k.unfinished ? `${k.unfinished} never ended` : ''].filter(Boolean).join(', ');

/** One row per figure: the embedded value, then each cluster's. */
export function clusterTable(r: Report): string[] {
  const all: Array<Figures & { processes?: number }> = [r, ...r.clusters];
  const row = (figure: string, value: (x: Figures) => string): [string, ...string[]] => [figure, ...all.map(value)];
  const rows = [
    row('payment create, req/s (p99 ms)', (x) => `${f(x.create.paytone.requestsPerSecond, 0)} (${f(x.create.paytone.p99Ms, 1)})`),
    row('  per create: paytone + PostgreSQL CPU; round trips / statements', (x) => perOp(x.create.paytone.database, x.create.paytone.serverCpuMsPerRequest)),
    row('full card sessions/s (p99 ms), failed', (x) => `${f(x.sessions.sessionsPerSecond, 1)} (${f(x.sessions.p99Ms, 0)}), ${x.sessions.failed}`),
    row('  per session: paytone + PostgreSQL CPU; round trips / statements', (x) => perOp(x.sessions.database, x.sessions.paytoneCpuMsPerSession)),
    row('callbacks received / queued, bad signatures, duplicates', (x) => `${x.callbacks.received} / ${x.callbacks.queued}, ${x.callbacks.invalidSignatures}, ${x.callbacks.duplicates}`),
    row(`keys/s at the server's pace, ${r.keypad.sessions} typing (missing)`, (x) => `${f(x.keypad.wholePhaseKeypressesPerSecond, 0)} (${lost(x.keypad)})`),
    row('  per key: paytone + PostgreSQL CPU; round trips / statements', (x) => perOp(x.keypad.database, x.keypad.paytoneCpuMsPerKeypress)),
    row(`keypress -> callback p50 / p99 ms, ${r.keypress.sessions} typing (missing)`, (x) => `${f(x.keypress.p50Ms)} / ${f(x.keypress.p99Ms)} (${lost(x.keypress)})`),
    row('  per key at one a second: paytone + PostgreSQL CPU; round trips / statements', (x) => perOp(x.keypress.database, x.keypress.paytoneCpuMsPerKeypress)),
    row(`resident MB, ${r.memory.openSessions} open sessions (all processes)`, (x) => f(x.memory.residentMb, 0)),
  ];
  const headings = ['figure', 'embedded', ...r.clusters.map((c) => `${c.processes} process${c.processes === 1 ? '' : 'es'} on PostgreSQL`)];
  return [...markdownTable(rows, headings), '', ...minimumsTable(r.clusterMinimums)];
}

/** The cluster's minimums (issue: a cluster that scales), from the figures of the same run. */
export function clusterMinimums(embedded: Figures, clusters: Cluster[]): Minimum[] {
  const out: Minimum[] = [];
  const one = clusters.find((c) => c.processes === 1);
  if (one) {
    const keys = one.keypad.wholePhaseKeypressesPerSecond / embedded.keypad.wholePhaseKeypressesPerSecond;
    const sessions = one.sessions.sessionsPerSecond / embedded.sessions.sessionsPerSecond;
    out.push({ figure: "1 process on PostgreSQL: keys/s at the server's pace vs embedded", minimum: '>= 50%', reached: `${f(keys * 100, 0)}%`, pass: keys >= 0.5 && one.keypad.missing === 0 });
    out.push({ figure: '1 process on PostgreSQL: full sessions/s vs embedded', minimum: '>= 50%', reached: `${f(sessions * 100, 0)}%`, pass: sessions >= 0.5 && one.sessions.failed === 0 });
  }
  for (const c of clusters.filter((x) => x.processes > 1)) {
    if (one) {
      const keys = c.keypad.wholePhaseKeypressesPerSecond / one.keypad.wholePhaseKeypressesPerSecond;
      const sessions = c.sessions.sessionsPerSecond / one.sessions.sessionsPerSecond;
      out.push({ figure: `${c.processes} processes: keys/s and sessions/s vs 1 process`, minimum: '>= 100%', reached: `${f(keys * 100, 0)}%, ${f(sessions * 100, 0)}%`, pass: keys >= 1 && sessions >= 1 });
    }
    out.push({ figure: `${c.processes} processes: keypress -> callback p99, ${c.keypress.sessions} typing`, minimum: '<= 50 ms', reached: `${f(c.keypress.p99Ms)} ms`, pass: c.keypress.p99Ms <= 50 && c.keypress.missing === 0 });
  }
  for (const c of clusters) {
    const delivered = c.callbacks.received === c.callbacks.queued && c.callbacks.invalidSignatures === 0 && c.callbacks.duplicates === 0;
    out.push({ figure: `${c.processes} process${c.processes === 1 ? '' : 'es'}: every callback once, signed; every key counted`, minimum: 'all', reached: `${c.callbacks.received} / ${c.callbacks.queued}, ${c.keypad.missing + c.keypress.missing} keys missing`, pass: delivered && c.keypad.missing + c.keypress.missing === 0 });
  }
  return out;
}
