import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { capabilityRefusal, parseConnector, TYPE_LIMITS, type ConnectorCapabilities } from '../../src/domain/connectorSettings.js';
import { PaytoneError } from '../../src/domain/errors.js';
import type { FormValues } from '../../src/domain/form.js';
import type { PaymentSettings } from '../../src/domain/types.js';

const GENERIC: FormValues = { UniqueName: 'Acme', Type: 'generic', Mode: 'live', EndpointUrl: 'https://pay.acme.example/twilio', Username: 'twilio', Password: 'pw-1' };
const STRIPE: FormValues = { UniqueName: 'Stripe', Type: 'stripe', ApiKey: 'sk_test_abc123' };

function refused(form: FormValues, mentions: RegExp, current?: ReturnType<typeof parseConnector>): void {
  assert.throws(() => parseConnector(form, current), (err: unknown) => {
    assert.ok(err instanceof PaytoneError);
    assert.equal(err.code, 64020);
    assert.match(err.message, mentions);
    return true;
  });
}

describe('parseConnector', () => {
  it('reads a generic connector, its secret apart from its settings', () => {
    const { definition, secrets } = parseConnector(GENERIC);
    assert.deepEqual(definition, {
      uniqueName: 'Acme',
      type: 'generic',
      mode: 'live',
      endpointUrl: 'https://pay.acme.example/twilio',
      username: 'twilio',
      apiBase: null,
      capabilities: TYPE_LIMITS.generic,
    });
    assert.deepEqual(secrets, { password: 'pw-1' });
    assert.ok(!JSON.stringify(definition).includes('pw-1'));
  });

  it('reads a stripe connector in test mode by default, with Stripe\'s API base', () => {
    const { definition, secrets } = parseConnector(STRIPE);
    assert.equal(definition.mode, 'test');
    assert.equal(definition.apiBase, 'https://api.stripe.com');
    assert.deepEqual(definition.capabilities.paymentMethods, ['credit-card']);
    assert.deepEqual(secrets, { apiKey: 'sk_test_abc123' });
  });

  it('narrows what a connector takes', () => {
    const { capabilities } = parseConnector({ ...GENERIC, SupportsTokenize: 'false', PaymentMethods: 'credit-card', Currencies: 'usd, eur', TokenTypes: 'reusable' }).definition;
    assert.deepEqual(capabilities, { charge: true, tokenize: false, paymentMethods: ['credit-card'], tokenTypes: ['reusable'], currencies: ['USD', 'EUR'] });
  });

  it('names what to fix', () => {
    refused({ ...GENERIC, UniqueName: undefined as never }, /UniqueName/);
    refused({ ...GENERIC, UniqueName: 'has space' }, /UniqueName must be/);
    refused({ ...GENERIC, Type: 'paypal' }, /Type must be one of sandbox, generic, stripe/);
    refused({ ...GENERIC, EndpointUrl: 'ftp://x' }, /EndpointUrl must be an absolute http/);
    refused({ ...GENERIC, EndpointUrl: 'https://u:p@pay.example' }, /must not carry credentials/);
    refused({ ...GENERIC, Password: '' }, /Missing required parameter Password/);
    refused({ ...GENERIC, ApiKey: 'sk_test_1' }, /ApiKey does not apply to Type=generic/);
    refused({ ...STRIPE, ApiKey: 'pk_test_abc' }, /secret or restricted key/);
    refused({ ...STRIPE, Mode: 'live' }, /ApiKey is a test key but Mode=live/);
    refused({ ...STRIPE, PaymentMethods: 'ach-debit' }, /PaymentMethods for a stripe connector takes a space-separated list of credit-card/);
    refused({ ...GENERIC, Currencies: 'dollars' }, /Currencies must be "any" or/);
    refused({ ...GENERIC, SupportsCharge: 'false', SupportsTokenize: 'false' }, /could do nothing/);
    refused({ UniqueName: 'Play', Type: 'sandbox', Mode: 'live' }, /always Mode=test/);
  });

  it('updates only what is given, keeps secrets not given, and never renames', () => {
    const current = parseConnector(GENERIC);
    const updated = parseConnector({ Mode: 'test', Username: 'ops' }, current);
    assert.equal(updated.definition.mode, 'test');
    assert.equal(updated.definition.username, 'ops');
    assert.equal(updated.definition.endpointUrl, GENERIC.EndpointUrl);
    assert.deepEqual(updated.secrets, { password: 'pw-1' });
    refused({ UniqueName: 'Other' }, /UniqueName cannot be changed/, current);
  });

  it('asks for the secret again whenever where it is sent changes', () => {
    const generic = parseConnector(GENERIC);
    refused({ EndpointUrl: 'https://collector.example/pay' }, /Password must be given again when EndpointUrl changes/, generic);
    assert.deepEqual(parseConnector({ EndpointUrl: 'https://collector.example/pay', Password: 'pw-2' }, generic).secrets, { password: 'pw-2' });
    assert.deepEqual(parseConnector({ EndpointUrl: 'https://pay.acme.example/twilio' }, generic).secrets, { password: 'pw-1' }, 'the same address keeps it');
    const stripe = parseConnector(STRIPE);
    refused({ ApiBase: 'https://collector.example' }, /ApiKey must be given again when ApiBase changes/, stripe);
    assert.deepEqual(parseConnector({ ApiBase: 'https://collector.example', ApiKey: 'sk_test_def456' }, stripe).secrets, { apiKey: 'sk_test_def456' });
    assert.deepEqual(parseConnector({ Mode: 'test', Currencies: 'USD' }, stripe).secrets, { apiKey: 'sk_test_abc123' });
  });

  it('on a change of Type drops the old type\'s settings and asks for the new one\'s', () => {
    const current = parseConnector(GENERIC);
    refused({ Type: 'stripe' }, /Missing required parameter ApiKey/, current);
    const stripe = parseConnector({ Type: 'stripe', ApiKey: 'sk_live_abc123' }, current);
    assert.equal(stripe.definition.endpointUrl, null);
    assert.deepEqual(stripe.secrets, { apiKey: 'sk_live_abc123' });
  });
});

describe('capabilityRefusal', () => {
  const settings = (over: Partial<PaymentSettings> = {}): PaymentSettings => ({
    paymentMethod: 'credit-card',
    bankAccountType: null,
    chargeAmount: '10.00',
    currency: 'USD',
    description: null,
    input: 'dtmf',
    minPostalCodeLength: 0,
    parameter: null,
    paymentConnector: 'Acme',
    postalCode: true,
    securityCode: true,
    timeoutSeconds: 5,
    tokenType: 'reusable',
    validCardTypes: ['visa'],
    requireMatchingInputs: [],
    confirmation: false,
    ...over,
  });
  const caps = (over: Partial<ConnectorCapabilities>): ConnectorCapabilities => ({ ...TYPE_LIMITS.generic, ...over });
  const code = (c: ConnectorCapabilities, s: PaymentSettings) => capabilityRefusal('Acme', c, s)?.code ?? null;

  it('answers each missing capability with its Twilio code', () => {
    assert.equal(code(caps({ charge: false }), settings()), 64007);
    assert.equal(code(caps({ tokenize: false }), settings({ chargeAmount: null })), 64005);
    assert.equal(code(caps({ paymentMethods: ['credit-card'] }), settings({ paymentMethod: 'ach-debit' })), 64013);
    assert.equal(code(caps({ currencies: ['EUR'] }), settings({ currency: 'USD' })), 64011);
    assert.equal(code(caps({ tokenTypes: ['one-time'] }), settings({ chargeAmount: null, tokenType: 'reusable' })), 64006);
  });

  it('lets through what the connector takes, and checks only what applies', () => {
    assert.equal(code(TYPE_LIMITS.generic, settings()), null);
    assert.equal(code(caps({ tokenTypes: ['one-time'] }), settings()), null, 'a charge makes no token');
    assert.equal(code(caps({ currencies: ['EUR'] }), settings({ chargeAmount: null })), null, 'a token has no currency');
  });
});
