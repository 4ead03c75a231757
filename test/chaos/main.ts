/**
 * `npm run chaos`: the crash test at full size, with its figures printed. Sizes come from the environment:
 * CHAOS_SESSIONS (500), CHAOS_CONCURRENCY (16), CHAOS_KILL_MIN_MS and CHAOS_KILL_MAX_MS (1000, 5000), CHAOS_SEED.
 * Exits 1 when any promise was broken (a lost or altered callback, a duplicated transaction, a leak...).
 */
import { brokenPromises, runChaos } from './chaos.js';

const number = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a whole number; got ${process.env[name]}`);
  return value;
};

const seed = number('CHAOS_SEED', Date.now() % 2 ** 31);
const figures = await runChaos({
  sessions: number('CHAOS_SESSIONS', 500),
  concurrency: number('CHAOS_CONCURRENCY', 16),
  killEveryMs: [number('CHAOS_KILL_MIN_MS', 1000), number('CHAOS_KILL_MAX_MS', 5000)],
  seed,
  log: (line) => process.stdout.write(`  ${line}\n`),
});
const broken = brokenPromises(figures);
const rows: Array<[string, string | number]> = [
  ['seed', seed],
  ['sessions run', figures.sessions],
  ['sessions acknowledged (201)', figures.acknowledged],
  ['kill -9 and restart', figures.kills],
  ['requests sent again after a kill', figures.requestRetries],
  ['callbacks expected', figures.callbacksExpected],
  ['callbacks received (distinct tokens)', figures.callbacksReceived],
  ['callbacks received again (same token, same bytes)', figures.callbacksDuplicated],
  ['gateway transactions', figures.gatewayTransactions],
  ['gateway sends (a resend after a crash is the same transaction)', figures.gatewaySends],
  ...Object.entries(broken).map(([what, list]): [string, number] => [what, list.length]),
  ['duration', `${(figures.durationMs / 1000).toFixed(1)} s`],
];
process.stdout.write('\npaytone chaos run\n');
for (const [what, value] of rows) process.stdout.write(`  ${what.padEnd(66)} ${value}\n`);
process.stdout.write('\noutcomes (kind:status:result)\n');
for (const [what, count] of Object.entries(figures.outcomes).sort()) process.stdout.write(`  ${what.padEnd(66)} ${count}\n`);
const failures = Object.entries(broken).filter(([, list]) => list.length > 0);
for (const [what, list] of failures) process.stdout.write(`\n${what}:\n  ${list.slice(0, 20).join('\n  ')}\n`);
process.exitCode = failures.length > 0 ? 1 : 0;
