import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatRfc2822 } from '../../src/domain/dates.js';

describe('formatRfc2822', () => {
  it('writes dates the way Twilio does', () => {
    assert.equal(formatRfc2822(Date.UTC(2019, 11, 18, 20, 2, 1)), 'Wed, 18 Dec 2019 20:02:01 +0000');
  });

  it('pads single-digit days and times', () => {
    assert.equal(formatRfc2822(Date.UTC(2024, 1, 29, 3, 4, 5)), 'Thu, 29 Feb 2024 03:04:05 +0000');
  });

  it('drops milliseconds', () => {
    assert.equal(formatRfc2822(Date.UTC(2020, 0, 1) + 999), 'Wed, 01 Jan 2020 00:00:00 +0000');
  });

  it('writes every millisecond as its second, for a second written before too, and before 1970', () => {
    const second = Date.UTC(2026, 10, 22, 23, 59, 59);
    assert.equal(formatRfc2822(second + 1), 'Sun, 22 Nov 2026 23:59:59 +0000');
    assert.equal(formatRfc2822(second + 1000), 'Mon, 23 Nov 2026 00:00:00 +0000');
    assert.equal(formatRfc2822(second + 998), 'Sun, 22 Nov 2026 23:59:59 +0000');
    assert.equal(formatRfc2822(-1), 'Wed, 31 Dec 1969 23:59:59 +0000');
    assert.equal(formatRfc2822(0), 'Thu, 01 Jan 1970 00:00:00 +0000');
  });
});
