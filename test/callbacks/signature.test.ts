import assert from 'node:assert/strict';
import { test } from 'node:test';
import twilio from 'twilio';
import { signCallback, verifyCallback } from '../../src/callbacks/signature.js';

const authToken = '12345';
const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const params = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };

test("matches Twilio's published example signature", () => {
  // The worked example in Twilio's "Validating requests" documentation.
  assert.equal(signCallback(authToken, url, params), '0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
});

test('the official client accepts the signature of a pay callback', () => {
  const callbackUrl = 'http://127.0.0.1:8123/pay/status?tenant=a b';
  const callback = {
    AccountSid: 'AC00000000000000000000000000000001',
    Sid: 'PK00000000000000000000000000000001',
    Capture: 'payment-card-number',
    PaymentCardNumber: 'xxxx-xxxx-xxxx-4242',
    PartialResult: 'false',
    Required: 'expiration-date,security-code',
    Description: 'Café & co: 100% ✓',
  };
  const header = signCallback('tok', callbackUrl, callback);
  assert.equal(twilio.validateRequest('tok', header, callbackUrl, callback), true);
  assert.equal(twilio.validateRequest('other', header, callbackUrl, callback), false);
});

test('verifyCallback accepts the signature and rejects any change', () => {
  const header = signCallback(authToken, url, params);
  assert.equal(verifyCallback(authToken, header, url, params), true);
  assert.equal(verifyCallback('54321', header, url, params), false);
  assert.equal(verifyCallback(authToken, header, `${url}&baz=3`, params), false);
  assert.equal(verifyCallback(authToken, header, url, { ...params, Digits: '1235' }), false);
  assert.equal(verifyCallback(authToken, header.slice(1), url, params), false);
  assert.equal(verifyCallback(authToken, '', url, params), false);
});

test('parameter names are signed in sorted order, whatever order they were given in', () => {
  const reversed = Object.fromEntries(Object.entries(params).reverse());
  assert.equal(signCallback(authToken, url, reversed), signCallback(authToken, url, params));
});
