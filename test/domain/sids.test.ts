import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSecret, isSid, newSecret, newSid } from '../../src/domain/sids.js';

test('a new sid is the prefix and 32 lowercase hex characters drawn from the random source', () => {
  const sid = newSid('PK', (n) => Buffer.alloc(n, 0xab));
  assert.equal(sid, 'PK' + 'ab'.repeat(16));
  assert.match(newSid('CA'), /^CA[0-9a-f]{32}$/);
});

test('sids never repeat, however many are made at once', () => {
  const sids = Array.from({ length: 5000 }, () => newSid('PK'));
  assert.equal(new Set(sids).size, sids.length);
  assert.ok(sids.every((sid) => isSid('PK', sid)));
});

test('isSid accepts only its own prefix followed by exactly 32 hex characters, in either case', () => {
  assert.equal(isSid('AC', 'AC' + 'A1'.repeat(16)), true);
  assert.equal(isSid('AC', 'SK' + 'a1'.repeat(16)), false);
  assert.equal(isSid('AC', 'AC' + 'a1'.repeat(15)), false);
  assert.equal(isSid('AC', 'AC' + 'g1'.repeat(16)), false);
  assert.equal(isSid('AC', ' AC' + 'a1'.repeat(16)), false);
  assert.equal(isSid('AC', undefined), false);
});

test('secrets are 32 hex characters and differ each time', () => {
  const a = newSecret();
  assert.equal(isSecret(a), true);
  assert.notEqual(a, newSecret());
  assert.equal(isSecret('x'.repeat(32)), false);
});
