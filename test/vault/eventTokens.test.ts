import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { EVENT_TOKEN_TTL_SECONDS, EventTokens } from '../../src/vault/eventTokens.js';
import { Vault } from '../../src/vault/vault.js';

const AC = 'AC' + 'a'.repeat(32);
const OTHER = 'AC' + 'b'.repeat(32);

test('a token opens its own account until it expires, and no longer', () => {
  let now = 1_763_760_000_000;
  const tokens = new EventTokens(randomBytes(32), () => now);
  const { token, expiresAt } = tokens.issue(AC);
  assert.equal(expiresAt, now + EVENT_TOKEN_TTL_SECONDS * 1000);
  assert.equal(tokens.verify(token, AC), true);
  assert.equal(tokens.verify(token, OTHER), false);
  now = expiresAt - 1000;
  assert.equal(tokens.verify(token, AC), true);
  now = expiresAt;
  assert.equal(tokens.verify(token, AC), false);
});

test('a token changed anywhere, or signed under another key, is refused', () => {
  const now = () => 1_763_760_000_000;
  const tokens = new EventTokens(randomBytes(32), now);
  const { token } = tokens.issue(AC);
  const [sid, expires, mac] = token.split('.') as [string, string, string];
  assert.equal(tokens.verify(`${sid}.${Number(expires) + 30}.${mac}`, AC), false, 'a later expiry');
  assert.equal(tokens.verify(`${OTHER}.${expires}.${mac}`, OTHER), false, 'another account');
  assert.equal(tokens.verify(`${sid}.${expires}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, AC), false, 'another signature');
  assert.equal(new EventTokens(randomBytes(32), now).verify(token, AC), false, 'another key');
  for (const junk of ['', '.', `${sid}..${mac}`, `${sid}.${expires}`, `${token}.x`, token.toLowerCase()]) {
    assert.equal(tokens.verify(junk, AC), false, junk);
  }
});

test('a token claiming to live longer than tokens are issued for is refused, even with a valid signature', () => {
  let now = 1_763_760_000_000;
  const key = randomBytes(32);
  const future = new EventTokens(key, () => now + 3600_000).issue(AC).token;
  assert.equal(new EventTokens(key, () => now).verify(future, AC), false);
  now += 3600_000;
  assert.equal(new EventTokens(key, () => now).verify(future, AC), true);
});

test('the signing key is derived from the vault key: same vault key, same tokens accepted', async () => {
  const keyHex = randomBytes(32).toString('hex');
  const a = await Vault.open({ dataDir: '/nonexistent', keyHex });
  const b = await Vault.open({ dataDir: '/nonexistent', keyHex });
  const c = await Vault.open({ dataDir: '/nonexistent', keyHex: randomBytes(32).toString('hex') });
  const { token } = new EventTokens(a.deriveKey('event-tokens')).issue(AC);
  assert.equal(new EventTokens(b.deriveKey('event-tokens')).verify(token, AC), true);
  assert.equal(new EventTokens(c.deriveKey('event-tokens')).verify(token, AC), false);
  assert.notDeepEqual(a.deriveKey('event-tokens'), a.deriveKey('something else'));
  assert.ok(!a.deriveKey('event-tokens').equals(Buffer.from(keyHex, 'hex')));
});
