import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { VAULT_KEY_FILE } from '../../src/vault/keyFile.js';
import { Vault } from '../../src/vault/vault.js';
import { startPaytoneProcess } from '../support/paytone.js';

const posixOnly = { skip: process.platform === 'win32' ? 'POSIX file modes' : false };

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-key-'));
}

test('the first start creates vault.key with mode 0600 holding 32 random bytes in hex', posixOnly, async () => {
  const dataDir = path.join(tempDir(), 'data');
  await Vault.open({ dataDir });
  const file = path.join(dataDir, VAULT_KEY_FILE);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.match(fs.readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
  assert.deepEqual(fs.readdirSync(dataDir), [VAULT_KEY_FILE]);
});

test('later starts reuse the key file: what one start sealed, the next unseals', async () => {
  const dataDir = tempDir();
  const sealed = (await Vault.open({ dataDir })).seal('secret token', 'AC1');
  const key = fs.readFileSync(path.join(dataDir, VAULT_KEY_FILE), 'utf8');
  const again = await Vault.open({ dataDir });
  assert.equal(again.unseal(sealed, 'AC1'), 'secret token');
  assert.equal(fs.readFileSync(path.join(dataDir, VAULT_KEY_FILE), 'utf8'), key);
});

test('a key file readable by group or others is refused with a way to fix it', posixOnly, async () => {
  const dataDir = tempDir();
  await Vault.open({ dataDir });
  const file = path.join(dataDir, VAULT_KEY_FILE);
  const key = fs.readFileSync(file, 'utf8').trim();
  fs.chmodSync(file, 0o644);
  await assert.rejects(Vault.open({ dataDir }), (error: Error) => {
    assert.match(error.message, /readable by other users \(mode 644\)/);
    assert.match(error.message, /chmod 600/);
    assert.ok(!error.message.includes(key));
    return true;
  });
});

test('a malformed key file is refused rather than replaced', async () => {
  const dataDir = tempDir();
  const file = path.join(dataDir, VAULT_KEY_FILE);
  fs.writeFileSync(file, 'not a key\n', { mode: 0o600 });
  await assert.rejects(Vault.open({ dataDir }), /vault\.key is malformed: it must hold 64 hex characters/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'not a key\n');
});

test('PAYTONE_VAULT_KEY of the wrong form is refused, naming the variable and the expected form', async () => {
  for (const keyHex of ['abc', 'g'.repeat(64), 'a'.repeat(63), 'a'.repeat(66)]) {
    await assert.rejects(Vault.open({ dataDir: tempDir(), keyHex }), (error: Error) => {
      assert.match(error.message, /^PAYTONE_VAULT_KEY must be 64 hex characters \(32 bytes\)/);
      assert.ok(!error.message.includes(keyHex));
      return true;
    });
  }
});

test('with PAYTONE_VAULT_KEY set, no key file is written', async () => {
  const dataDir = tempDir();
  await Vault.open({ dataDir, keyHex: 'c'.repeat(64) });
  assert.deepEqual(fs.readdirSync(dataDir), []);
});

test('a production-like start (public callback policy, or TLS) with the key file beside the database warns, once, and says what to do', async () => {
  const warning = /"msg":"the vault key is a file in the data dir/;
  const started = async (env: Record<string, string>) => {
    const server = await startPaytoneProcess({ env });
    await server.stop();
    return server.output();
  };
  const production = await started({ PAYTONE_CALLBACK_POLICY: 'public' });
  assert.match(production, warning);
  assert.match(production, /PAYTONE_VAULT_KEY/);
  assert.equal(production.match(new RegExp(warning.source, 'g'))?.length, 1);
  assert.doesNotMatch(await started({}), warning, 'a development start is quiet');
  assert.doesNotMatch(await started({ PAYTONE_CALLBACK_POLICY: 'public', PAYTONE_VAULT_KEY: 'ab'.repeat(32) }), warning, 'a key from the environment is where it should be');
});
