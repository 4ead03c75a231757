/**
 * The files `npm test` runs, printed one per line for the script's `$(...)`: every compiled `*.test.js` under
 * dist/test, the longest first. node's runner starts files in the order given, N at a time; a long file started
 * last runs alone at the end while the other slot idles (the real-call keypad file, started two thirds of the
 * way through a sorted list, ran alone for its last minute and a half). The rest follow in path order.
 *
 * Run from the repository root, after the build: `node dist/test/support/testFiles.js`.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Longest first, with the seconds each took in a run of the suite two files at a time on two cores. */
const LONGEST = [
  'cluster/e2eSuite', // 150: the e2e files again, each on three processes
  'e2e/realCallKeypad', // 70: five calls typed in real time
  'bench/bench', // 37
  'cluster/concurrentTyping', // 28
  'e2e/receivers', // 18
  'e2e/leak', // 17
  'e2e/ivrPayRealCall', // 17
  'ui/consoleRealCallKeypad', // 17
  'e2e/console', // 16
  'e2e/httpFuzz', // 16
  'cluster/killOneProcess', // 15
  'cli/npx', // 14
  'telephony/b2bua', // 14
  'e2e/outcomes', // 13
  'e2e/ivrRealCall', // 13
  'e2e/chaos', // 13
  'mcp/realCall', // 12
  'bench/realCalls', // 12
  'callbacks/outbox', // 11
];

/** Every file under `folder` (a path relative to `base`), as `folder/...` with forward slashes. */
export function filesUnder(folder: string, base = '.'): string[] {
  return fs.readdirSync(path.join(base, folder), { withFileTypes: true }).flatMap((entry) => {
    const file = path.posix.join(folder, entry.name);
    return entry.isDirectory() ? filesUnder(file, base) : [file];
  });
}

export function orderedTestFiles(root = 'dist/test'): string[] {
  const all = filesUnder(root).filter((file) => file.endsWith('.test.js')).sort();
  const first = LONGEST.map((name) => `${root}/${name}.test.js`);
  const missing = first.filter((file) => !all.includes(file));
  if (missing.length > 0) throw new Error(`named as long but not there: ${missing.join(', ')}`);
  return [...first, ...all.filter((file) => !first.includes(file))];
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.stdout.write(`${orderedTestFiles().join('\n')}\n`);
}
