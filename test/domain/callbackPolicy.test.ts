import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ANY_CALLBACK,
  addressRefusal,
  assertCallbackAllowed,
  callbackUrlRefusal,
  parseCallbackPolicy,
  type CallbackPolicy,
} from '../../src/domain/callbackPolicy.js';
import { parseCreatePayment } from '../../src/domain/paymentParams.js';
import { parseCreateCall } from '../../src/domain/callParams.js';
import { PaytoneError } from '../../src/domain/errors.js';

function policy(mode: string, allow = ''): CallbackPolicy {
  const parsed = parseCallbackPolicy(mode, allow);
  assert.deepEqual(parsed.problems, []);
  return parsed.policy!;
}

const PUBLIC = policy('public');

describe('callback URL policy at request time', () => {
  it('public: refuses every loopback, private, link-local and special address, whatever its spelling', () => {
    const refused: Array<[string, RegExp]> = [
      ['https://127.0.0.1/pay', /loopback/],
      ['https://127.9.9.9:8443/pay', /loopback/],
      ['https://2130706433/pay', /loopback/], // 127.0.0.1 as one number
      ['https://0x7f.0.0.1/pay', /loopback/],
      ['https://[::1]/pay', /loopback/],
      ['https://[::ffff:127.0.0.1]/pay', /loopback/], // IPv4-mapped IPv6
      ['https://10.1.2.3/pay', /private/],
      ['https://172.16.0.1/pay', /private/],
      ['https://172.31.255.254/pay', /private/],
      ['https://192.168.1.10/pay', /private/],
      ['https://[fd00::1]/pay', /private/],
      ['https://[::ffff:10.0.0.1]/pay', /private/],
      ['https://169.254.169.254/latest/meta-data', /link-local/],
      ['https://[fe80::1]/pay', /link-local/],
      ['https://100.64.0.1/pay', /carrier-grade NAT/],
      ['https://0.0.0.0/pay', /unspecified/],
      ['https://[::]/pay', /unspecified/],
      ['https://224.0.0.1/pay', /multicast/],
      ['https://255.255.255.255/pay', /broadcast/],
      ['https://240.0.0.1/pay', /reserved/],
      ['https://[64:ff9b::a00:1]/pay', /special-purpose/], // NAT64 of 10.0.0.1
      ['https://[::127.0.0.1]/pay', /IPv4-compatible/], // the deprecated IPv4-compatible form of 127.0.0.1 (::/96)
      ['https://[::7f00:1]/pay', /IPv4-compatible/],
      ['https://[::a9fe:a9fe]/pay', /IPv4-compatible/], // 169.254.169.254
      ['https://[::808:808]/pay', /IPv4-compatible/], // 8.8.8.8: no real peer uses the form, so it is refused whatever it holds
    ];
    for (const [url, why] of refused) {
      const refusal = callbackUrlRefusal(url, PUBLIC);
      assert.match(refusal ?? 'allowed', why, url);
    }
  });

  it('public: allows https to public addresses and host names (names are judged again at delivery)', () => {
    for (const url of ['https://8.8.8.8/pay', 'https://[2606:4700:4700::1111]/pay', 'https://app.example.com/pay', 'https://localhost/pay', 'https://172.32.0.1/pay']) {
      assert.equal(callbackUrlRefusal(url, PUBLIC), null, url);
    }
  });

  it('public: requires https, except for hosts and networks on the allow list', () => {
    assert.equal(callbackUrlRefusal('http://app.example.com/pay', PUBLIC), 'uses plain http');
    const allowing = policy('public', 'receiver.internal, 10.20.0.0/16, 192.168.7.7, fd12::/16');
    assert.equal(callbackUrlRefusal('http://receiver.internal:8080/pay', allowing), null);
    assert.equal(callbackUrlRefusal('http://10.20.3.4/pay', allowing), null);
    assert.equal(callbackUrlRefusal('https://192.168.7.7/pay', allowing), null);
    assert.equal(callbackUrlRefusal('https://[fd12::5]/pay', allowing), null);
    assert.match(callbackUrlRefusal('https://10.21.0.1/pay', allowing)!, /private/);
    assert.match(callbackUrlRefusal('https://192.168.7.8/pay', allowing)!, /private/);
    assert.equal(callbackUrlRefusal('http://other.internal/pay', allowing), 'uses plain http');
  });

  it('any (the sandbox default): http and https anywhere, other schemes never', () => {
    for (const url of ['http://127.0.0.1:8098/pay', 'https://10.0.0.1/pay', 'http://[::1]/pay', 'http://localhost/pay']) {
      assert.equal(callbackUrlRefusal(url, ANY_CALLBACK), null, url);
    }
    for (const url of ['ftp://example.com/pay', 'file:///etc/passwd', 'gopher://127.0.0.1/']) {
      assert.match(callbackUrlRefusal(url, ANY_CALLBACK)!, /only http and https/, url);
    }
  });

  it('refuses with a 64020 that names the parameter and says what to do', () => {
    assert.throws(
      () => assertCallbackAllowed('StatusCallback', 'https://169.254.1.1/x', PUBLIC),
      (err: unknown) =>
        err instanceof PaytoneError &&
        err.code === 64020 &&
        err.message.startsWith('StatusCallback "https://169.254.1.1/x" is refused: it points at a link-local address.') &&
        err.message.includes('PAYTONE_CALLBACK_ALLOW'),
    );
  });

  it('applies to Payments StatusCallback (relative ones after resolving) and Calls StatusCallback', () => {
    const form = { IdempotencyKey: 'k1', StatusCallback: '/pay' };
    assert.equal(parseCreatePayment(form, { callUrl: 'https://app.example.com/voice', callbackPolicy: PUBLIC }).callbackUrl, 'https://app.example.com/pay');
    assert.throws(() => parseCreatePayment(form, { callUrl: 'http://127.0.0.1:9000/voice', callbackPolicy: PUBLIC }), /StatusCallback "http:\/\/127\.0\.0\.1:9000\/pay" is refused/);
    assert.equal(parseCreatePayment(form, { callUrl: 'http://127.0.0.1:9000/voice' }).callbackUrl, 'http://127.0.0.1:9000/pay');
    const call = { To: '+14155550100', From: '+14155550199', StatusCallback: 'https://[::1]/status' };
    assert.throws(() => parseCreateCall(call, PUBLIC), /StatusCallback "https:\/\/\[::1\]\/status" is refused: it points at a loopback address/);
    assert.equal(parseCreateCall(call).statusCallback, 'https://[::1]/status');
  });
});

describe('callback URL policy at delivery time', () => {
  it('judges each resolved address, unless the host name itself is allowed', () => {
    assert.match(addressRefusal('127.0.0.1', 'evil.example.com', PUBLIC)!, /loopback/);
    assert.match(addressRefusal('::ffff:169.254.169.254', 'evil.example.com', PUBLIC)!, /link-local/);
    assert.match(addressRefusal('::7f00:1', 'evil.example.com', PUBLIC)!, /IPv4-compatible/);
    assert.equal(addressRefusal('93.184.215.14', 'example.com', PUBLIC), null);
    const allowing = policy('public', 'receiver.internal,10.0.0.0/8');
    assert.equal(addressRefusal('192.168.0.5', 'receiver.internal', allowing), null);
    assert.equal(addressRefusal('10.9.9.9', 'api.example.com', allowing), null);
    assert.match(addressRefusal('192.168.0.5', 'api.example.com', allowing)!, /private/);
    assert.equal(addressRefusal('127.0.0.1', 'anything', ANY_CALLBACK), null);
  });
});

describe('parseCallbackPolicy', () => {
  it('defaults to any and reads host names, addresses and networks', () => {
    assert.equal(policy('').mode, 'any');
    const p = policy('public', ' Receiver.Internal , 10.0.0.0/8,::1 ');
    assert.deepEqual(p.allowedHosts, ['receiver.internal']);
    assert.equal(p.allowedNetworks.length, 2);
  });

  it('says what is wrong with each bad value', () => {
    assert.deepEqual(parseCallbackPolicy('open', 'ok.example, http://x/, 10.0.0.0/99').problems, [
      'PAYTONE_CALLBACK_POLICY must be any or public; got "open".',
      'PAYTONE_CALLBACK_ALLOW entry "http://x/" is not a host name, an IP address or a CIDR network such as 10.0.0.0/8.',
      'PAYTONE_CALLBACK_ALLOW entry "10.0.0.0/99" is not a host name, an IP address or a CIDR network such as 10.0.0.0/8.',
    ]);
  });
});
