/**
 * `<Pay>` as the twilio library writes it, read into the settings of a pay session, its prompts and its parameters;
 * and every attribute value paytone cannot honour refused with Twilio's code and a message naming the attribute.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import twilio from 'twilio';
import { readTwiml } from '../../../src/twiml/document.js';
import { payInstruction } from '../../../src/twiml/pay/payInstruction.js';
import { promptNouns, type PayPrompt } from '../../../src/twiml/pay/prompts.js';
import { ANY_CALLBACK, parseCallbackPolicy } from '../../../src/domain/callbackPolicy.js';
import type { VerbScope } from '../../../src/twiml/verb.js';

const SCOPE: VerbScope = { documentUrl: 'https://shop.example/ivr/pay', policy: ANY_CALLBACK };

function read(build: (response: twilio.twiml.VoiceResponse) => void, scope = SCOPE) {
  const response = new twilio.twiml.VoiceResponse();
  build(response);
  const document = readTwiml(response.toString());
  assert.ok(document.ok);
  return payInstruction(document.verbs[0]!, scope);
}

describe('<Pay> attributes', () => {
  it('takes Twilio defaults when only the amount is given', () => {
    const read1 = read((r) => r.pay({ chargeAmount: '12.5' }));
    assert.ok(read1.ok);
    const { settings, action, statusCallback, maxAttempts, language, prompts, postalCodeLiteral } = read1.value;
    assert.deepEqual(
      [settings.paymentMethod, settings.chargeAmount, settings.currency, settings.tokenType, settings.timeoutSeconds, settings.securityCode, settings.postalCode, settings.paymentConnector],
      ['credit-card', '12.50', 'USD', 'reusable', 5, true, true, 'Default'],
    );
    assert.deepEqual(settings.validCardTypes, ['visa', 'mastercard', 'amex']);
    assert.deepEqual(action, { url: 'https://shop.example/ivr/pay', method: 'POST' }, 'the current document by default');
    assert.equal(statusCallback, null);
    assert.equal(maxAttempts, 1);
    assert.equal(language, 'en-US');
    assert.deepEqual(prompts, []);
    assert.equal(postalCodeLiteral, null);
  });

  it('reads every attribute, <Parameter> for the connector and <Prompt requireMatchingInputs> as a field typed twice', () => {
    const read1 = read((r) => {
      const pay = r.pay({
        input: 'dtmf',
        action: '/ivr/paid',
        statusCallback: 'https://shop.example/ivr/progress',
        statusCallbackMethod: 'GET',
        paymentMethod: 'credit-card',
        timeout: 9,
        maxAttempts: 3,
        securityCode: false,
        postalCode: '94107',
        minPostalCodeLength: 5,
        paymentConnector: 'Acme',
        tokenType: 'one-time',
        chargeAmount: '0',
        currency: 'eur',
        language: 'es-MX',
        description: 'Order 12',
        validCardTypes: ['visa', 'discover'],
      } as never);
      pay.parameter({ name: 'order', value: 'A-12' });
      pay.prompt({ for: 'payment-card-number' }).say('Tarjeta');
      pay.prompt({ for: 'payment-card-number', requireMatchingInputs: true } as never).say('Otra vez');
    });
    assert.ok(read1.ok, JSON.stringify(read1));
    const { settings, action, statusCallback, maxAttempts, language, prompts, postalCodeLiteral } = read1.value;
    assert.deepEqual(action, { url: 'https://shop.example/ivr/paid', method: 'POST' });
    assert.deepEqual(statusCallback, { url: 'https://shop.example/ivr/progress', method: 'GET' });
    assert.equal(maxAttempts, 3);
    assert.equal(language, 'es-MX');
    assert.equal(postalCodeLiteral, '94107');
    assert.equal(settings.postalCode, false, 'a literal postal code is not asked for');
    assert.equal(settings.knownPostalCode, '94107', 'a literal postal code goes to the connector');
    assert.equal(settings.securityCode, false);
    assert.equal(settings.chargeAmount, null, 'zero tokenizes');
    assert.equal(settings.currency, 'EUR');
    assert.equal(settings.timeoutSeconds, 9);
    assert.equal(settings.tokenType, 'one-time');
    assert.equal(settings.paymentConnector, 'Acme');
    assert.equal(settings.description, 'Order 12');
    assert.deepEqual(settings.validCardTypes, ['visa', 'discover']);
    assert.deepEqual(settings.parameter, { order: 'A-12' });
    assert.deepEqual(settings.requireMatchingInputs, ['payment-card-number']);
    assert.equal(prompts.length, 2);
  });

  it('reads ACH payments with their account type', () => {
    const read1 = read((r) => r.pay({ paymentMethod: 'ach-debit', bankAccountType: 'consumer-savings', chargeAmount: '5' }));
    assert.ok(read1.ok);
    assert.equal(read1.value.settings.bankAccountType, 'consumer-savings');
    assert.equal(read1.value.settings.knownPostalCode, undefined);
  });

  it('reads a bank field typed twice from <Prompt requireMatchingInputs>, as Twilio asks for ACH fields', () => {
    const read1 = read((r) => {
      const pay = r.pay({ paymentMethod: 'ach-debit', chargeAmount: '5' });
      pay.prompt({ for: 'bank-account-number', requireMatchingInputs: true } as never).say('Again');
      pay.prompt({ for: 'bank-routing-number', requireMatchingInputs: true } as never).say('Again');
    });
    assert.ok(read1.ok, JSON.stringify(read1));
    assert.deepEqual(read1.value.settings.requireMatchingInputs, ['bank-routing-number', 'bank-account-number']);
  });

  it('refuses what it cannot honour, with the code Twilio gives and the attribute named', () => {
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ chargeAmount: '-0.59' }, 64003, /chargeAmount/],
      [{ paymentMethod: 'cash' }, 64020, /paymentMethod must be one of credit-card, ach-debit/],
      [{ bankAccountType: 'consumer-checking' }, 64017, /bankAccountType applies to paymentMethod=ach-debit/],
      [{ maxAttempts: 4 }, 64020, /maxAttempts="4"> must be 1, 2 or 3/],
      [{ tokenType: 'forever' }, 64020, /tokenType/],
      [{ validCardTypes: 'visa master-card' }, 64020, /validCardTypes/],
      [{ language: 'pt-BR' }, 64020, /language="pt-BR"/],
      [{ paymentMethod: 'ach-debit', language: 'fr-FR' }, 64020, /English only/],
      [{ method: 'GET' }, 64020, /always requested by POST/],
      [{ timeout: '0' }, 64020, /timeout must be a whole number from 1 to 600/],
      [{ postalCode: 'near the park!' }, 64020, /postalCode/],
      [{ confirmation: 'true' }, 64020, /not an attribute of <Pay>/],
    ];
    for (const [attributes, code, message] of cases) {
      const read1 = read((r) => r.pay(attributes as never));
      assert.ok(!read1.ok, JSON.stringify(attributes));
      assert.equal(read1.problem.code, code, JSON.stringify(attributes));
      assert.match(read1.problem.message, message);
    }
  });

  it('refuses a plain-http action where the callback policy wants https (64016), and takes it in the sandbox', () => {
    const publicPolicy = parseCallbackPolicy('public', '').policy!;
    const refused = read((r) => r.pay({ action: 'http://shop.example/paid' }), { documentUrl: null, policy: publicPolicy });
    assert.ok(!refused.ok);
    assert.equal(refused.problem.code, 64016);
    const sandbox = read((r) => r.pay({ action: 'http://127.0.0.1:9/paid' }), { documentUrl: null, policy: ANY_CALLBACK });
    assert.ok(sandbox.ok);
  });

  it('has no action for a document given as Twiml unless one is named', () => {
    const inline = read((r) => r.pay({}), { documentUrl: null, policy: ANY_CALLBACK });
    assert.ok(inline.ok);
    assert.equal(inline.value.action, null);
  });

  it('refuses prompts it cannot speak and nouns it does not know', () => {
    const cases: Array<[(r: twilio.twiml.VoiceResponse) => void, RegExp]> = [
      [(r) => r.pay({}).prompt({ for: 'pin-number' } as never).say('x'), /<Prompt for="pin-number">/],
      [(r) => r.pay({}).prompt({ for: 'expiration-date', attempt: [0] } as never).say('x'), /attempt/],
      [(r) => r.pay({}).prompt({ for: 'expiration-date', errorType: ['invalid-mood'] } as never).say('x'), /invalid-mood/],
      [(r) => r.pay({}).prompt({ for: 'bank-account-number', requireMatchingInputs: true } as never).say('x'), /bank field twice; it needs <Pay paymentMethod="ach-debit">/],
      [(r) => r.pay({ paymentMethod: 'ach-debit' }).prompt({ for: 'security-code', requireMatchingInputs: true } as never).say('x'), /credit-card only/],
      [(r) => r.pay({}).prompt({ for: 'security-code' }).play('ftp://media.example/cvc.wav'), /cvc.wav/],
    ];
    for (const [build, message] of cases) {
      const read1 = read(build);
      assert.ok(!read1.ok);
      assert.match(read1.problem.message, message);
    }
  });
});

describe('which <Prompt> is spoken', () => {
  const prompts = (build: (pay: ReturnType<twilio.twiml.VoiceResponse['pay']>) => void): PayPrompt[] => {
    const read1 = read((r) => build(r.pay({})));
    assert.ok(read1.ok);
    return read1.value.prompts;
  };
  const spoken = (nouns: ReturnType<typeof promptNouns>) => nouns.map((n) => (n.kind === 'say' ? n.text : n.kind));

  it('speaks the prompt that fits the moment and narrows most, with built-in words where none fits', () => {
    const set = prompts((pay) => {
      pay.prompt({ for: 'payment-card-number' }).say('Card number please');
      pay.prompt({ for: 'payment-card-number', attempt: [2, 3] }).say('Card number, once more');
      pay.prompt({ for: 'payment-card-number', errorType: ['invalid-card-number'] }).say('That number is wrong, try again');
      pay.prompt({ for: 'security-code', cardType: ['amex'] }).say('The four digits on the front');
      pay.prompt({ for: 'expiration-date', errorType: ['timeout'] }).say('Still there?');
    });
    const at = (step: string, attempt = 1, errorType: string | null = null, cardType: string | null = null) =>
      spoken(promptNouns(set, { step: step as never, attempt, errorType: errorType as never, cardType: cardType as never, matching: false }, 'en-US'));
    assert.deepEqual(at('payment-card-number'), ['Card number please']);
    assert.deepEqual(at('payment-card-number', 2, 'invalid-card-number'), ['That number is wrong, try again']);
    assert.deepEqual(at('payment-card-number', 2, 'invalid-card-type'), ['That card type is not accepted.', 'Card number, once more']);
    assert.deepEqual(at('security-code', 1, null, 'amex'), ['The four digits on the front']);
    assert.deepEqual(at('security-code', 1, null, 'visa'), ['Please enter the security code.']);
    assert.deepEqual(at('expiration-date', 2, 'timeout'), ['Still there?']);
    assert.deepEqual(at('postal-code'), ['Please enter your postal code, followed by the pound key.']);
  });

  it('speaks the built-in words in the <Pay> language', () => {
    const nouns = promptNouns([], { step: 'payment-card-number', attempt: 1, errorType: null, cardType: null, matching: false }, 'fr-FR');
    assert.deepEqual(nouns, [{ kind: 'say', text: 'Veuillez saisir votre numéro de carte, suivi de la touche dièse.', voice: 'man', language: 'fr-FR', loop: 1 }]);
  });
});
