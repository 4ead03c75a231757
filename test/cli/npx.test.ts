/**
 * `npx paytone`, the way the README runs it, must keep working after every build: `npm start` and `npm test` run
 * `npm run build`, which makes dist/ anew. The checkout is copied to a folder of its own (its node_modules linked)
 * so that building there leaves this run's dist/ alone, and npx gets a cache of its own, as on a fresh machine.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCommand, type Run } from '../support/run.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// What `npx paytone` needs: the build compiles whatever of tsconfig's folders is there, and the tests and the
// bench (half the code) are not part of the command.
const CHECKOUT = ['package.json', 'package-lock.json', 'tsconfig.json', 'bin', 'src'];

function succeeded(run: Run, what: string): Run {
  assert.equal(run.code, 0, `${what} exited ${run.code}: ${run.stderr}${run.stdout}`);
  return run;
}

test('npx paytone works after npm run build, and again after the next build', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-npx-'));
  const checkout = path.join(folder, 'paytone');
  for (const entry of CHECKOUT) fs.cpSync(path.join(ROOT, entry), path.join(checkout, entry), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules'), 'dir');
  const env = { npm_config_cache: path.join(folder, 'npm-cache'), npm_config_update_notifier: 'false', PAYTONE_DATA_DIR: path.join(folder, 'data') };
  const npx = (...args: string[]) => runCommand('npx', ['--no-install', 'paytone', ...args], { cwd: checkout, env });

  for (const build of ['first', 'second']) {
    succeeded(await runCommand('npm', ['run', 'build'], { cwd: checkout, env }), `the ${build} npm run build`);
    const help = succeeded(await npx('--help'), `npx paytone --help after the ${build} build`);
    assert.match(help.stdout, /^usage: paytone <command>/);
    assert.match(help.stdout, /paytone migrate/);
  }
  const migrated = succeeded(await npx('migrate'), 'npx paytone migrate');
  assert.match(migrated.stdout, /^Applied \d+ migration\(s\) to .*paytone\.db: 0001_initial/);
  fs.rmSync(folder, { recursive: true, force: true });
});

test('before any build, the command says how to build it instead of failing obscurely', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-unbuilt-'));
  fs.cpSync(path.join(ROOT, 'bin'), path.join(folder, 'bin'), { recursive: true });
  const run = await runCommand(path.join(folder, 'bin', 'paytone.js'), ['--help']);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /not built yet: run `npm run build`/);
  fs.rmSync(folder, { recursive: true, force: true });
});
