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
});
