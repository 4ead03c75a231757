import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULT_RATE_LIMIT, loadConfig, parseRateLimit, parseTrustedProxies } from '../../src/config.js';

describe('PAYTONE_RATE_LIMIT', () => {
  it('reads requests per window in ms, s or m, and off', () => {
    assert.deepEqual(parseRateLimit(undefined), DEFAULT_RATE_LIMIT);
    assert.deepEqual(DEFAULT_RATE_LIMIT, { max: 1000, windowMs: 10_000 });
    assert.deepEqual(parseRateLimit('50/1s'), { max: 50, windowMs: 1000 });
    assert.deepEqual(parseRateLimit('6000/1m'), { max: 6000, windowMs: 60_000 });
    assert.deepEqual(parseRateLimit('5/500ms'), { max: 5, windowMs: 500 });
    assert.equal(parseRateLimit('off'), null);
  });

  it('refuses anything else with one sentence that shows the format', () => {
    for (const bad of ['100', '0/1s', '10/0s', '10/50ms', '10/2h', '10/61m', '-1/1s', '1e3/1s', 'ten/1s', 'OFF']) {
      const problem = parseRateLimit(bad);
      assert.equal(typeof problem, 'string', bad);
      assert.equal(problem, `PAYTONE_RATE_LIMIT must be <requests>/<window> such as 1000/10s (window in ms, s or m, from 100ms to 60m), or off; got ${JSON.stringify(bad)}.`);
    }
  });

  it('is validated at start-up with the callback policy, every mistake on its own line', () => {
    assert.throws(
      () => loadConfig({ PAYTONE_RATE_LIMIT: 'lots', PAYTONE_CALLBACK_POLICY: 'strict', PAYTONE_CALLBACK_ALLOW: '10.0.0.0/8,not a host' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.split('\n').length === 3 &&
        err.message.includes('PAYTONE_RATE_LIMIT must be') &&
        err.message.includes('PAYTONE_CALLBACK_POLICY must be any or public; got "strict".') &&
        err.message.includes('PAYTONE_CALLBACK_ALLOW entry "not a host"'),
    );
    const config = loadConfig({ PAYTONE_RATE_LIMIT: 'off', PAYTONE_CALLBACK_POLICY: 'public', PAYTONE_CALLBACK_ALLOW: 'hooks.internal' });
    assert.equal(config.rateLimit, null);
    assert.equal(config.callbackPolicy.mode, 'public');
    assert.deepEqual(config.callbackPolicy.allowedHosts, ['hooks.internal']);
    assert.equal(loadConfig({}).callbackPolicy.mode, 'any');
  });
});

describe('PAYTONE_TRUST_PROXY', () => {
  it('reads proxy addresses, networks and range names, and refuses anything else', () => {
    assert.deepEqual(parseTrustedProxies(undefined), []);
    assert.deepEqual(parseTrustedProxies('10.0.0.0/8, 192.168.1.5,loopback,fd00::/8'), ['10.0.0.0/8', '192.168.1.5', 'loopback', 'fd00::/8']);
    assert.equal(
      parseTrustedProxies('10.0.0.1,true'),
      'PAYTONE_TRUST_PROXY must be a comma-separated list of proxy addresses, CIDR networks or loopback, linklocal, uniquelocal; "true" is none of these.',
    );
  });
});
