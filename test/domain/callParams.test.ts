import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCreateCall, parseUpdateCall } from '../../src/domain/callParams.js';
import { PaytoneError, type ErrorCode } from '../../src/domain/errors.js';

function rejects(run: () => unknown, code: ErrorCode, fragment: string): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof PaytoneError, String(err));
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.includes(fragment), `"${err.message}" should mention ${fragment}`);
    return true;
  });
}

const PARTIES = { To: '+14155550100', From: '+14155550199' };

describe('parseCreateCall', () => {
  it('reads a minimal sandbox call: neither Url nor Twiml needed', () => {
    assert.deepEqual(parseCreateCall(PARTIES), {
      to: '+14155550100',
      endpoint: { kind: 'number', number: '+14155550100' },
      from: '+14155550199',
      url: null,
      method: 'POST',
      fallbackUrl: null,
      fallbackMethod: 'POST',
      twiml: null,
      statusCallback: null,
      statusCallbackMethod: 'POST',
      statusCallbackEvents: ['completed'],
      timeoutSeconds: 60,
    });
  });

  it("takes E.164 numbers (written with separators) and SIP URIs as To; anything else is Twilio's 21211", () => {
    assert.equal(parseCreateCall({ ...PARTIES, To: '+1 (415) 555-0100' }).to, '+14155550100');
    assert.deepEqual(parseCreateCall({ ...PARTIES, To: 'sip:agent@127.0.0.1:5090;transport=udp' }).endpoint, { kind: 'sip', uri: 'sip:agent@127.0.0.1:5090;transport=udp' });
    for (const to of ['hello', '4155550100', 'sip:', 'sip:agent@host?X-Evil=1', 'tel:+14155550100', 'sip:a@b c']) {
      rejects(() => parseCreateCall({ ...PARTIES, To: to }), 21211, 'To must be an E.164 phone number');
    }
  });

  it('reads StatusCallbackEvent as a list or space-separated, Timeout, and the TwiML request methods', () => {
    const call = parseCreateCall({
      ...PARTIES,
      StatusCallbackEvent: ['initiated', 'ringing answered'],
      Timeout: '15',
      Method: 'get',
      FallbackUrl: 'https://app.example.com/fallback',
    });
    assert.deepEqual(call.statusCallbackEvents, ['initiated', 'ringing', 'answered']);
    assert.equal(call.timeoutSeconds, 15);
    assert.equal(call.method, 'GET');
    assert.equal(call.fallbackUrl, 'https://app.example.com/fallback');
    rejects(() => parseCreateCall({ ...PARTIES, StatusCallbackEvent: 'hangup' }), 20001, 'StatusCallbackEvent may name initiated, ringing, answered, completed');
    rejects(() => parseCreateCall({ ...PARTIES, Timeout: '601' }), 21208, 'Timeout must be a whole number from 1 to 600');
    rejects(() => parseCreateCall({ ...PARTIES, Method: 'PUT' }), 20001, 'Method');
  });

  it('reads Url, Twiml, StatusCallback and its method', () => {
    const call = parseCreateCall({
      ...PARTIES,
      Url: 'https://app.example.com/voice',
      Twiml: '<Response><Pause length="60"/></Response>',
      StatusCallback: 'https://app.example.com/call-status',
      StatusCallbackMethod: 'get',
    });
    assert.equal(call.url, 'https://app.example.com/voice');
    assert.equal(call.twiml, '<Response><Pause length="60"/></Response>');
    assert.equal(call.statusCallback, 'https://app.example.com/call-status');
    assert.equal(call.statusCallbackMethod, 'GET');
  });

  it("answers Twilio's codes for a missing To or From", () => {
    rejects(() => parseCreateCall({ From: '+14155550199' }), 21201, 'Required parameter "To" is missing.');
    rejects(() => parseCreateCall({ To: '+14155550100', From: '' }), 21213, 'Required parameter "From" is missing.');
  });

  it('wants Url absolute http(s) (21205)', () => {
    rejects(() => parseCreateCall({ ...PARTIES, Url: '/voice' }), 21205, '"/voice"');
    rejects(() => parseCreateCall({ ...PARTIES, Url: 'ftp://example.com/x' }), 21205, 'http or https');
  });

  it('rejects a relative StatusCallback and an unknown method', () => {
    rejects(() => parseCreateCall({ ...PARTIES, StatusCallback: 'status' }), 64020, 'StatusCallback');
    rejects(() => parseCreateCall({ ...PARTIES, StatusCallbackMethod: 'PUT' }), 64020, 'GET, POST');
  });
});

describe('parseUpdateCall', () => {
  it('reads a hang-up', () => {
    assert.deepEqual(parseUpdateCall({ Status: 'completed' }), { status: 'completed', url: null, method: 'POST', twiml: null });
    assert.equal(parseUpdateCall({ Status: 'canceled' }).status, 'canceled');
  });

  it('reads a redirect', () => {
    assert.deepEqual(parseUpdateCall({ Url: 'https://app.example.com/next', Method: 'get' }), {
      status: null,
      url: 'https://app.example.com/next',
      method: 'GET',
      twiml: null,
    });
  });

  it('lists the allowed statuses', () => {
    rejects(() => parseUpdateCall({ Status: 'hangup' }), 64020, 'canceled, completed');
    rejects(() => parseUpdateCall({ Url: 'next' }), 21205, 'Url');
  });
});
