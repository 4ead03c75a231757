import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSecret, isSid, newSecret, newSid } from '../../src/domain/sids.js';

test('a new sid is the prefix, the millisecond it was made in 12 hex characters, and 20 from the random source', () => {
  const sid = newSid('PK', (n) => Buffer.alloc(n, 0xab), () => Date.UTC(2026, 11, 3, 9, 0, 0, 123));
  assert.equal(sid, 'PK' + Date.UTC(2026, 11, 3, 9, 0, 0, 123).toString(16).padStart(12, '0') + 'ab'.repeat(10));
  assert.equal(sid.length, 34);
  assert.match(newSid('CA'), /^CA[0-9a-f]{32}$/);
});

test('sids made later sort after those made earlier, whatever the random part', () => {
  let clock = Date.UTC(2026, 0, 1);
  const highRandom = (n: number) => Buffer.alloc(n, 0xff);
  const lowRandom = (n: number) => Buffer.alloc(n, 0x00);
  const made = Array.from({ length: 100 }, (_, i) => newSid('CA', i % 2 === 0 ? highRandom : lowRandom, () => (clock += 1)));
  assert.deepEqual([...made].sort(), made);
  // A clock before 1970, past 2^48 ms or between milliseconds orders nothing, but the SID keeps its shape.
  assert.match(newSid('PK', undefined, () => -5), /^PK0{12}[0-9a-f]{20}$/);
  assert.match(newSid('PK', undefined, () => 2 ** 48 + 5), /^PK0{11}5[0-9a-f]{20}$/);
  assert.match(newSid('PK', undefined, () => 1234.75), /^PK0{9}4d2[0-9a-f]{20}$/);
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
