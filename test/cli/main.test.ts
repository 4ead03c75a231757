import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runNode, type Run } from '../support/run.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function paytone(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runNode(CLI, args, { PAYTONE_DATA_DIR: dataDir, ...env });
}

function tempDataDir(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-cli-')), 'data');
}

/** Every file SQLite may have written (database, WAL, journal), as one string. */
function storedBytes(dataDir: string): string {
  return fs
    .readdirSync(dataDir)
    .filter((name) => name.startsWith('paytone.db'))
    .map((name) => fs.readFileSync(path.join(dataDir, name)).toString('latin1'))
    .join('');
}

test('accounts create prints the sid and token once; accounts list shows the account, never the token', async () => {
  const dataDir = tempDataDir();
  const created = await paytone(dataDir, ['accounts', 'create', '--friendly-name', 'Support desk']);
  assert.equal(created.code, 0, created.stderr);
  const sid = /AccountSid {2}(AC[0-9a-f]{32})/.exec(created.stdout)?.[1];
  const token = /AuthToken {3}([0-9a-f]{32})/.exec(created.stdout)?.[1];
  assert.ok(sid && token, created.stdout);
  assert.match(created.stdout, /shown only now/);

  const listed = await paytone(dataDir, ['accounts', 'list']);
  assert.equal(listed.code, 0);
  assert.match(listed.stdout, new RegExp(`${sid}\\s+active\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\s+Support desk`));
  assert.ok(!listed.stdout.includes(token));
  assert.ok(!storedBytes(dataDir).includes(token), 'the auth token is stored in plain text');
});

test('--json gives machine-readable output with a chosen sid and token', async () => {
  const dataDir = tempDataDir();
  const sid = 'AC' + '9'.repeat(32);
  const token = '8'.repeat(32);
  const created = await paytone(dataDir, ['accounts', 'create', '--sid', sid, '--auth-token', token, '--json']);
  assert.equal(created.code, 0, created.stderr);
  const body = JSON.parse(created.stdout) as Record<string, unknown>;
  assert.equal(body.sid, sid);
  assert.equal(body.auth_token, token);
  assert.equal(body.friendly_name, 'paytone account');
  assert.equal(body.status, 'active');

  const listed = JSON.parse((await paytone(dataDir, ['accounts', 'list', '--json'])).stdout) as { accounts: Array<Record<string, unknown>> };
  assert.deepEqual(listed.accounts.map((a) => [a.sid, a.auth_token]), [[sid, undefined]]);

  const again = await paytone(dataDir, ['accounts', 'create', '--sid', sid]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists/);
});

test('keys create prints the secret once; keys list and delete manage the key; the secret is never stored', async () => {
  const dataDir = tempDataDir();
  const sid = 'AC' + '4'.repeat(32);
  await paytone(dataDir, ['accounts', 'create', '--sid', sid]);

  const created = await paytone(dataDir, ['keys', 'create', '--account', sid, '--friendly-name', 'agent desktop']);
  assert.equal(created.code, 0, created.stderr);
  const keySid = /ApiKeySid {2}(SK[0-9a-f]{32})/.exec(created.stdout)?.[1];
  const secret = /Secret {5}([0-9a-f]{32})/.exec(created.stdout)?.[1];
  assert.ok(keySid && secret, created.stdout);
  assert.match(created.stdout, /Store the secret now/);

  const listed = await paytone(dataDir, ['keys', 'list', '--account', sid, '--json']);
  assert.deepEqual(
    (JSON.parse(listed.stdout) as { keys: Array<Record<string, unknown>> }).keys.map((k) => [k.sid, k.friendly_name, k.secret]),
    [[keySid, 'agent desktop', undefined]],
  );
  assert.ok(!storedBytes(dataDir).includes(secret), 'the key secret is stored in plain text');

  const deleted = await paytone(dataDir, ['keys', 'delete', '--account', sid, keySid]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stdout, new RegExp(`Deleted API key ${keySid}`));
  assert.match((await paytone(dataDir, ['keys', 'list', '--account', sid])).stdout, /No API keys/);

  const twice = await paytone(dataDir, ['keys', 'delete', '--account', sid, keySid]);
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /has no API key/);
});

test('keys of an account that does not exist are refused with exit code 1', async () => {
  const run = await paytone(tempDataDir(), ['keys', 'create', '--account', 'AC' + '3'.repeat(32)]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /account AC3{32} does not exist/);
});

test('accounts update --mask-keys sets which keys of a real call the agent must not hear', async () => {
  const dataDir = tempDataDir();
  const sid = 'AC' + '7'.repeat(32);
  assert.equal((await paytone(dataDir, ['accounts', 'create', '--sid', sid])).code, 0);
  const listed = async () => (JSON.parse((await paytone(dataDir, ['accounts', 'list', '--json'])).stdout) as { accounts: Array<Record<string, unknown>> }).accounts[0]!;
  assert.equal((await listed()).keys_masked, 'pay-sessions', 'by default, keys typed during a pay session');
  const updated = await paytone(dataDir, ['accounts', 'update', '--account', sid, '--mask-keys', 'always']);
  assert.equal(updated.code, 0, updated.stderr);
  assert.match(updated.stdout, /masks every key on real calls that start from now on/);
  assert.equal((await listed()).keys_masked, 'always');
  const back = JSON.parse((await paytone(dataDir, ['accounts', 'update', '--account', sid, '--mask-keys', 'pay-sessions', '--json'])).stdout) as Record<string, unknown>;
  assert.equal(back.keys_masked, 'pay-sessions');
  const wrong = await paytone(dataDir, ['accounts', 'update', '--account', sid, '--mask-keys', 'never']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--mask-keys must be pay-sessions .* or always/);
  assert.equal((await listed()).keys_masked, 'pay-sessions', 'nothing changed');
});

test('bad arguments print a usage line and exit 2 without touching the data dir', async () => {
  const dataDir = tempDataDir();
  const cases: Array<[string[], RegExp]> = [
    [[], /no command given/],
    [['bogus'], /unknown command "bogus"/],
    [['keys', 'create'], /needs --account[\s\S]*usage: paytone keys create --account/],
    [['keys', 'list', '--account', 'AC12'], /--account must be "AC" followed by 32 hex/],
    [['keys', 'delete', '--account', 'AC' + '1'.repeat(32)], /API key to delete must be "SK"/],
    [['accounts', 'list', '--account', 'AC' + '1'.repeat(32)], /accounts list does not take --account/],
    [['accounts', 'create', '--auth-token', 'short'], /--auth-token must be 32 hex characters/],
    [['accounts', 'list', 'extra'], /takes no arguments/],
    [['accounts', 'list', '--nope'], /usage: paytone/],
  ];
  for (const [args, expected] of cases) {
    const run = await paytone(dataDir, args);
    assert.equal(run.code, 2, args.join(' '));
    assert.match(run.stderr, expected);
    assert.match(run.stderr, /usage: paytone/);
    assert.equal(run.stdout, '');
  }
  assert.equal(fs.existsSync(dataDir), false);
});

test('help lists every command and exits 0', async () => {
  for (const args of [['help'], ['--help'], ['-h']]) {
    const run = await paytone(tempDataDir(), args);
    assert.equal(run.code, 0);
    for (const command of ['accounts create', 'accounts update', 'accounts list', 'keys create', 'keys list', 'keys delete', 'mcp']) {
      assert.match(run.stdout, new RegExp(`paytone ${command}`));
    }
  }
});

test('a malformed PAYTONE_VAULT_KEY stops the command with a clear error', async () => {
  const run = await paytone(tempDataDir(), ['accounts', 'list'], { PAYTONE_VAULT_KEY: 'xyz' });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /PAYTONE_VAULT_KEY must be 64 hex characters/);
});
