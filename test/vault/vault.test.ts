import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Vault } from '../../src/vault/vault.js';

const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);
const CARD = '4242424242424242';
const SESSION = 'PK' + '0'.repeat(32);

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-vault-'));
}

test('a sealed value unseals to the same text, and sealing twice gives different ciphertexts', async () => {
  const vault = await Vault.open({ dataDir: tempDir(), keyHex: KEY_A });
  const first = vault.seal(CARD, SESSION);
  assert.equal(vault.unseal(first, SESSION), CARD);
  assert.notEqual(vault.seal(CARD, SESSION), first);
  assert.equal(vault.unseal(vault.seal('Zoë €', SESSION), SESSION), 'Zoë €');
  assert.ok(!first.includes(CARD));
});

test('the sealed form is base64url of version 1, a 12-byte IV, the ciphertext and a 16-byte tag', async () => {
  const vault = await Vault.open({ dataDir: tempDir(), keyHex: KEY_A });
  const sealed = vault.seal(CARD, SESSION);
  assert.match(sealed, /^[A-Za-z0-9_-]+$/);
  const bytes = Buffer.from(sealed, 'base64url');
  assert.equal(bytes[0], 1);
  assert.equal(bytes.length, 1 + 12 + CARD.length + 16);
});

test('a value that was altered does not unseal, and the error does not show the plaintext', async () => {
  const vault = await Vault.open({ dataDir: tempDir(), keyHex: KEY_A });
  const bytes = Buffer.from(vault.seal(CARD, SESSION), 'base64url');
  for (const index of [1, 14, bytes.length - 1]) {
    const tampered = Buffer.from(bytes);
    tampered[index] = (tampered[index] ?? 0) ^ 0x01;
    assert.throws(
      () => vault.unseal(tampered.toString('base64url'), SESSION),
      (error: Error) => !error.message.includes(CARD) && /altered/.test(error.message),
    );
  }
  assert.throws(() => vault.unseal('', SESSION), /not a version 1 sealed value/);
  assert.throws(() => vault.unseal(bytes.subarray(0, 20).toString('base64url'), SESSION), /not a version 1/);
});

test('a value sealed for one row does not unseal for another', async () => {
  const vault = await Vault.open({ dataDir: tempDir(), keyHex: KEY_A });
  const sealed = vault.seal(CARD, SESSION);
  assert.throws(() => vault.unseal(sealed, 'PK' + '1'.repeat(32)), (error: Error) => !error.message.includes(CARD));
});

test('a value sealed under one key does not unseal under another', async () => {
  const dataDir = tempDir();
  const sealed = (await Vault.open({ dataDir, keyHex: KEY_A })).seal(CARD, SESSION);
  const other = await Vault.open({ dataDir, keyHex: KEY_B });
  assert.throws(() => other.unseal(sealed, SESSION), (error: Error) => !error.message.includes(CARD));
  assert.equal((await Vault.open({ dataDir, keyHex: KEY_A.toUpperCase() })).unseal(sealed, SESSION), CARD);
});
