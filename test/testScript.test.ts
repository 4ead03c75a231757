/**
 * `npm test` runs every test file and nothing else. Given a folder, node's runner also runs every other file under a
 * folder named test (the helpers in test/support, and test/chaos/main.js: `npm run chaos`, 500 sessions with
 * kills, a full minute and more of CPU), so the script lists the test files itself, the longest first
 * (test/support/testFiles.ts). This test runs the script's listing the way npm does (sh, from the repository root)
 * and compares it with the compiled files.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { filesUnder } from './support/testFiles.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('npm test names every compiled test file and no other file', () => {
  const script = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { test: string } }).scripts.test;
  const prefix = 'node --test --test-concurrency=2 ';
  assert.ok(script.startsWith(prefix), script);
  const listed = execFileSync('sh', ['-c', `printf '%s\\n' ${script.slice(prefix.length)}`], { cwd: ROOT }).toString().split('\n').filter(Boolean);
  const compiled = filesUnder('dist/test', ROOT).filter((file) => file.endsWith('.js'));
  assert.deepEqual(listed.filter((file) => !file.endsWith('.test.js')), [], 'only test files run');
  assert.deepEqual(compiled.filter((file) => file.endsWith('.test.js') && !listed.includes(file)), [], 'every test file runs');
  assert.equal(new Set(listed).size, listed.length, 'each file runs once');
  assert.equal(listed[0], 'dist/test/cluster/e2eSuite.test.js', 'the longest file starts first, not when the others are done');
  assert.equal(listed[1], 'dist/test/e2e/realCallKeypad.test.js', 'the next longest starts beside it');
  const rest = listed.slice(listed.indexOf('dist/test/callbacks/outbox.test.js') + 1);
  assert.deepEqual(rest, [...rest].sort(), 'after the longest, the rest in path order');
  assert.ok(listed.includes('dist/test/docs.test.js') && listed.includes('dist/test/e2e/cardSession.test.js'));
  assert.ok(compiled.includes('dist/test/chaos/main.js') && !listed.includes('dist/test/chaos/main.js'));
});
