import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { EVENT_TOKEN_TTL_SECONDS, EventTokens } from '../../src/vault/eventTokens.js';
import { Vault } from '../../src/vault/vault.js';

const AC = 'AC' + 'a'.repeat(32);
const OTHER = 'AC' + 'b'.repeat(32);
const KEY = 'SK' + 'c'.repeat(32);
const HOLDER = { accountSid: AC, credential: KEY, fingerprint: 'salt:hash-of-the-key-secret' };

test('a token opens its own account until it expires, and no longer', () => {
  let now = 1_763_760_000_000;
  const tokens = new EventTokens(randomBytes(32), () => now);
  const { token, expiresAt } = tokens.issue(HOLDER);
  assert.equal(expiresAt, now + EVENT_TOKEN_TTL_SECONDS * 1000);
  assert.equal(tokens.credentialOf(token, AC), KEY);
  assert.equal(tokens.verify(token, AC, HOLDER.fingerprint), true);
  assert.equal(tokens.verify(token, OTHER, HOLDER.fingerprint), false);
  now = expiresAt - 1000;
  assert.equal(tokens.verify(token, AC, HOLDER.fingerprint), true);
  now = expiresAt;
  assert.equal(tokens.verify(token, AC, HOLDER.fingerprint), false);
  assert.equal(tokens.credentialOf(token, AC), null);
});

test('a token dies with the credential that asked for it: another secret hash or sealed token opens nothing', () => {
  const tokens = new EventTokens(randomBytes(32), () => 1_763_760_000_000);
  const { token } = tokens.issue(HOLDER);
  assert.equal(tokens.verify(token, AC, 'salt:hash-of-a-new-secret'), false);
  const byToken = tokens.issue({ accountSid: AC, credential: AC, fingerprint: 'v1.sealed-auth-token' }).token;
  assert.equal(tokens.credentialOf(byToken, AC), AC);
  assert.equal(tokens.verify(byToken, AC, 'v1.sealed-auth-token'), true);
  assert.equal(tokens.verify(byToken, AC, 'v1.sealed-rotated-token'), false);
});

test('a token changed anywhere, or signed under another key, is refused', () => {
  const now = () => 1_763_760_000_000;
  const tokens = new EventTokens(randomBytes(32), now);
  const { token } = tokens.issue(HOLDER);
  const [sid, credential, expires, mac] = token.split('.') as [string, string, string, string];
  const verify = (candidate: string, accountSid = AC) => tokens.verify(candidate, accountSid, HOLDER.fingerprint);
  assert.equal(verify(`${sid}.${credential}.${Number(expires) + 30}.${mac}`), false, 'a later expiry');
  assert.equal(verify(`${OTHER}.${credential}.${expires}.${mac}`, OTHER), false, 'another account');
  assert.equal(verify(`${sid}.${'SK' + 'd'.repeat(32)}.${expires}.${mac}`), false, 'another credential');
  assert.equal(verify(`${sid}.${credential}.${expires}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`), false, 'another signature');
  assert.equal(new EventTokens(randomBytes(32), now).verify(token, AC, HOLDER.fingerprint), false, 'another key');
  for (const junk of ['', '.', `${sid}..${expires}.${mac}`, `${sid}.${expires}.${mac}`, `${token}.x`, token.toLowerCase()]) {
    assert.equal(verify(junk), false, junk);
  }
});

test('a token claiming to live longer than tokens are issued for is refused, even with a valid signature', () => {
  let now = 1_763_760_000_000;
  const key = randomBytes(32);
  const future = new EventTokens(key, () => now + 3600_000).issue(HOLDER).token;
  assert.equal(new EventTokens(key, () => now).verify(future, AC, HOLDER.fingerprint), false);
  now += 3600_000;
  assert.equal(new EventTokens(key, () => now).verify(future, AC, HOLDER.fingerprint), true);
});

test('the signing key is derived from the vault key: same vault key, same tokens accepted', async () => {
  const keyHex = randomBytes(32).toString('hex');
  const a = await Vault.open({ dataDir: '/nonexistent', keyHex });
  const b = await Vault.open({ dataDir: '/nonexistent', keyHex });
  const c = await Vault.open({ dataDir: '/nonexistent', keyHex: randomBytes(32).toString('hex') });
  const { token } = new EventTokens(a.deriveKey('event-tokens')).issue(HOLDER);
  assert.equal(new EventTokens(b.deriveKey('event-tokens')).verify(token, AC, HOLDER.fingerprint), true);
  assert.equal(new EventTokens(c.deriveKey('event-tokens')).verify(token, AC, HOLDER.fingerprint), false);
  assert.notDeepEqual(a.deriveKey('event-tokens'), a.deriveKey('something else'));
  assert.ok(!a.deriveKey('event-tokens').equals(Buffer.from(keyHex, 'hex')));
});
