import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusForResponse, targetUri } from '../../src/telephony/dialing.js';

test("final SIP responses read as Twilio's statuses", () => {
  const cases: Array<[number, string]> = [
    [486, 'busy'],
    [600, 'busy'],
    [603, 'busy'],
    [408, 'no-answer'],
    [480, 'no-answer'],
    [404, 'failed'],
    [403, 'failed'],
    [488, 'failed'],
    [500, 'failed'],
    [503, 'failed'],
    [302, 'failed'],
  ];
  for (const [status, expected] of cases) assert.equal(statusForResponse(status), expected, String(status));
});

test('a SIP target is called as written; a number goes to the trunk with its parameters; no trunk, no number', () => {
  assert.equal(targetUri({ kind: 'sip', uri: 'sip:agent@10.0.0.5:5070;transport=tcp' }, null), 'sip:agent@10.0.0.5:5070;transport=tcp');
  assert.equal(targetUri({ kind: 'sip', uri: 'not a uri' }, null), null);
  assert.equal(targetUri({ kind: 'number', number: '+14155550100' }, 'sip:203.0.113.20:5060;transport=tcp'), 'sip:+14155550100@203.0.113.20:5060;transport=tcp');
  assert.equal(targetUri({ kind: 'number', number: '+14155550100' }, null), null);
});
