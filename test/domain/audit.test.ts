import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { auditAction, auditedParameters, auditedPath, auditedToolArguments, auditedUserAgent, urlWithoutSecrets } from '../../src/domain/audit.js';

const SESSION_ROUTE = '/2010-04-01/Accounts/:AccountSid/Calls/:CallSid/Payments/:Sid.json';

describe('audit entries', () => {
  it('names each action, and routes without a name by method and route', () => {
    assert.equal(auditAction('POST', SESSION_ROUTE, { Capture: 'security-code' }), 'payment.capture');
    assert.equal(auditAction('POST', SESSION_ROUTE, { Status: 'complete' }), 'payment.complete');
    assert.equal(auditAction('POST', SESSION_ROUTE, { Status: 'cancel' }), 'payment.cancel');
    assert.equal(auditAction('POST', SESSION_ROUTE, { Status: 'cancel', Capture: 'postal-code' }), 'payment.update');
    assert.equal(auditAction('POST', '/2010-04-01/Accounts/:AccountSid/Calls/:CallSid.json', { Status: 'completed' }), 'call.hangup');
    assert.equal(auditAction('POST', '/2010-04-01/Accounts/:AccountSid/Calls/:CallSid.json', {}), 'call.update');
    assert.equal(auditAction('DELETE', '/v1/Accounts/:AccountSid/PayConnectors/:UniqueName.json', {}), 'connector.delete');
    assert.equal(auditAction('DELETE', '/v1/Accounts/:AccountSid/Widgets/:Sid.json', {}), 'DELETE /v1/Accounts/:AccountSid/Widgets/:Sid.json');
  });

  it("keeps an MCP tool's arguments with SIDs whole, long digit runs masked and URLs bare", () => {
    const callSid = 'CA' + '1234567890123456'.repeat(2);
    assert.deepEqual(
      auditedToolArguments({
        call_sid: callSid,
        amount: 12.5,
        ask_security_code: false,
        description: 'card 4242424242424242',
        status_callback: 'https://agent:pw@app.example/pay?sig=abc',
        currency: undefined,
      }),
      { call_sid: callSid, amount: '12.5', ask_security_code: 'false', description: 'card ************4242', status_callback: 'https://app.example/pay' },
    );
  });

  it('keeps decisions, masks what a caller typed and never keeps a value it does not know to be safe', () => {
    assert.deepEqual(
      auditedParameters({
        Digits: '4242 4242w4242#',
        ChargeAmount: '10.00',
        Capture: 'payment-card-number',
        IdempotencyKey: 'retry-4111111111111111',
        StatusCallback: 'https://agent:pw@app.example/pay?sig=abc',
        Password: 'hunter2',
        ApiKey: 'sk_test_123',
        Description: 'card 4242424242424242',
        Parameter: '{"cvv":"737"}',
        To: ['+15551230000', '+15551230001'],
      }),
      {
        Digits: '**** ****w****#',
        ChargeAmount: '10.00',
        Capture: 'payment-card-number',
        IdempotencyKey: 'retry-************1111',
        StatusCallback: 'https://app.example/pay',
        Password: '[given]',
        ApiKey: '[given]',
        Description: '[given]',
        Parameter: '[given]',
        To: '+15551230000,+15551230001',
      },
    );
  });

  it('keeps parameters and values short', () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`P${i}`, 'x']));
    assert.equal(Object.keys(auditedParameters(many)).length, 40);
    assert.equal(auditedParameters({ Currency: 'u'.repeat(1000) }).Currency!.length, 120);
    assert.equal(auditedUserAgent('a'.repeat(500))!.length, 200);
    assert.equal(auditedUserAgent(undefined), null);
  });

  it('shows URLs without credentials, query or card numbers', () => {
    assert.equal(urlWithoutSecrets('https://u:p@app.example:8443/pay?token=1#x'), 'https://app.example:8443/pay');
    assert.equal(urlWithoutSecrets('/pay/4242424242424242?x=1'), '/pay/************4242');
    assert.equal(urlWithoutSecrets('http://[::1'), 'invalid url');
  });

  it('keeps SIDs in a path whole and masks a card number typed where a SID belongs', () => {
    const sid = 'CA' + '1234567890123456'.repeat(2);
    assert.equal(auditedPath(`/2010-04-01/Accounts/AC${'0'.repeat(32)}/Calls/${sid}.json?PageSize=5`), `/2010-04-01/Accounts/AC${'0'.repeat(32)}/Calls/${sid}.json`);
    assert.equal(auditedPath('/2010-04-01/Accounts/4242424242424242/Calls.json'), '/2010-04-01/Accounts/************4242/Calls.json');
  });
});
