/**
 * Wire conformance with Twilio's own OpenAPI file: every request the official client sends in these tests is
 * checked against the operation's form schema, and every response paytone gives it against the response
 * schema (exactly Twilio's properties, RFC 2822 dates), errors against Twilio's envelope.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import type { SchemaObject } from 'ajv';
import type { PaymentCapture } from 'twilio/lib/rest/api/v2010/account/call/payment.js';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';
import { startReceiver, type CallbackReceiver } from '../support/receiver.js';
import { loadTwilioSchema, validatorFor } from '../support/twilioSchema.js';
import { assertEnvelope } from '../support/envelope.js';

const RFC_2822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

/** One request the official client made and the answer it got. */
interface Exchange {
  method: string;
  path: string;
  form: Record<string, unknown>;
  status: number;
  body: any;
}

let paytone: PaytoneProcess;
let receiver: CallbackReceiver;
const exchanges: Exchange[] = [];

before(async () => {
  receiver = await startReceiver(AUTH_TOKEN);
  paytone = await startPaytone();
});

after(async () => {
  await paytone?.stop();
  await receiver?.close();
});

/** The official client, recording each request's form (before encoding) and each response. */
function recordingClient(authToken = AUTH_TOKEN): twilio.Twilio {
  const client = twilio(ACCOUNT_SID, authToken);
  client.api.baseUrl = paytone.baseUrl;
  const http = client.httpClient;
  const request = http.request.bind(http);
  http.request = async (options) => {
    const response = await request(options);
    exchanges.push({
      method: options.method.toUpperCase(),
      path: new URL(options.uri).pathname,
      form: (options.data as Record<string, unknown> | undefined) ?? {},
      status: response.statusCode,
      body: typeof response.body === 'string' ? JSON.parse(response.body) : response.body,
    });
    return response;
  };
  return client;
}

interface Operation {
  id: string;
  method: string;
  path: RegExp;
  /** The component schema of a success body; null for the list page, checked item by item. */
  response: string | null;
}

const SID = (prefix: string) => `${prefix}[0-9a-f]{32}`;
const ACCOUNT = `^/2010-04-01/Accounts/${SID('AC')}`;
const OPERATIONS: Operation[] = [
  { id: 'CreateCall', method: 'POST', path: new RegExp(`${ACCOUNT}/Calls\\.json$`), response: 'api.v2010.account.call' },
  { id: 'ListCall', method: 'GET', path: new RegExp(`${ACCOUNT}/Calls\\.json$`), response: null },
  { id: 'FetchCall', method: 'GET', path: new RegExp(`${ACCOUNT}/Calls/${SID('CA')}\\.json$`), response: 'api.v2010.account.call' },
  { id: 'UpdateCall', method: 'POST', path: new RegExp(`${ACCOUNT}/Calls/${SID('CA')}\\.json$`), response: 'api.v2010.account.call' },
  { id: 'CreatePayments', method: 'POST', path: new RegExp(`${ACCOUNT}/Calls/${SID('CA')}/Payments\\.json$`), response: 'api.v2010.account.call.payments' },
  { id: 'UpdatePayments', method: 'POST', path: new RegExp(`${ACCOUNT}/Calls/${SID('CA')}/Payments/${SID('PK')}\\.json$`), response: 'api.v2010.account.call.payments' },
];

function operationOf(exchange: Exchange): Operation {
  const operation = OPERATIONS.find((o) => o.method === exchange.method && o.path.test(exchange.path));
  assert.ok(operation, `no Twilio operation for ${exchange.method} ${exchange.path}`);
  return operation;
}

/** The operation as Twilio's OpenAPI file describes it. */
function specOf(operationId: string): { requestBody?: any; responses: any } {
  const paths = (loadTwilioSchema() as unknown as { paths: Record<string, Record<string, any>> }).paths;
  for (const methods of Object.values(paths)) {
    for (const operation of Object.values(methods)) {
      if (operation?.operationId === operationId) return operation;
    }
  }
  throw new Error(`Twilio's OpenAPI file has no operation ${operationId}`);
}

function resolved(schema: SchemaObject): SchemaObject {
  const ref = schema.$ref as string | undefined;
  if (!ref) return schema;
  return loadTwilioSchema().components.schemas[ref.replace('#/components/schemas/', '')]!;
}

/**
 * What is wrong with a form against the operation's `application/x-www-form-urlencoded` schema: unknown
 * parameter names, missing required ones, enum values and scalar types that the schema does not allow.
 */
function formProblems(operationId: string, form: Record<string, unknown>): string[] {
  const spec = specOf(operationId).requestBody?.content?.['application/x-www-form-urlencoded']?.schema as SchemaObject | undefined;
  if (!spec) return Object.keys(form).length === 0 ? [] : [`${operationId} takes no form parameters`];
  const properties = spec.properties as Record<string, SchemaObject>;
  const problems = ((spec.required ?? []) as string[]).filter((name) => form[name] === undefined).map((name) => `${name} is required`);
  for (const [name, value] of Object.entries(form)) {
    const property = properties[name];
    if (!property) {
      problems.push(`${name} is not a parameter of ${operationId}`);
      continue;
    }
    const schema = resolved(property.type === 'array' ? (property.items as SchemaObject) : property);
    for (const text of (Array.isArray(value) ? value : [value]).map(String)) {
      if (schema.enum && !(schema.enum as string[]).includes(text)) problems.push(`${name}=${text} is not one of ${schema.enum.join(', ')}`);
      if (schema.type === 'integer' && !/^-?\d+$/.test(text)) problems.push(`${name}=${text} is not an integer`);
      if (schema.type === 'number' && !Number.isFinite(Number(text))) problems.push(`${name}=${text} is not a number`);
      if (schema.type === 'boolean' && !/^(true|false)$/.test(text)) problems.push(`${name}=${text} is not a boolean`);
    }
  }
  return problems;
}

function assertResponse(exchange: Exchange, operation: Operation): void {
  const where = `${exchange.method} ${exchange.path} -> ${exchange.status}`;
  if (exchange.status >= 400) return assertEnvelope(exchange.status, exchange.body, where);
  assert.ok(Object.keys(specOf(operation.id).responses).includes(String(exchange.status)), `${where}: a status Twilio documents`);
  if (operation.response) {
    const validate = validatorFor(operation.response);
    assert.ok(validate(exchange.body), `${where}: ${JSON.stringify(validate.errors)}`);
    return;
  }
  const page = specOf(operation.id).responses['200'].content['application/json'].schema as SchemaObject;
  assert.deepEqual(Object.keys(exchange.body).sort(), Object.keys(page.properties as object).sort(), `${where}: the page's keys`);
  const validate = validatorFor('api.v2010.account.call');
  for (const call of exchange.body.calls) assert.ok(validate(call), `${where}: ${JSON.stringify(validate.errors)}`);
}

describe('conformance with twilio_api_v2010.json', () => {
  it('answers a full pay session and its call with exactly the shapes Twilio publishes', async () => {
    const client = recordingClient();
    const call = await client.calls.create({ to: '+15551230400', from: '+15559870400', url: `${receiver.url}/voice`, statusCallback: `${receiver.url}/call`, statusCallbackMethod: 'POST' });
    assert.ok(call.dateCreated instanceof Date && !Number.isNaN(call.dateCreated.getTime()), 'the client reads our dates');
    const payments = client.calls(call.sid).payments;
    const session = await payments.create({
      idempotencyKey: 'schema-create',
      statusCallback: `${receiver.url}/pay`,
      chargeAmount: 19.99,
      currency: 'USD',
      description: 'Order 1234',
      paymentConnector: 'Default',
      paymentMethod: 'credit-card',
      postalCode: true,
      securityCode: true,
      timeout: 30,
      tokenType: 'one-time',
      validCardTypes: 'visa mastercard amex',
      minPostalCodeLength: 5,
      confirmation: 'false',
      parameter: JSON.stringify({ order: '1234' }),
    });
    const typed: Array<[PaymentCapture, string, string]> = [
      ['payment-card-number', '4242424242424242#', 'payment_card_number'],
      ['expiration-date', '1230#', 'expiration_date'],
      ['security-code', '123#', 'security_code'],
      ['postal-code', '94107#', 'payment_card_postal_code'],
    ];
    for (const [capture, digits, shown] of typed) {
      await payments(session.sid).update({ idempotencyKey: `schema-${capture}`, statusCallback: `${receiver.url}/pay`, capture });
      await paytone.press(call.sid, digits);
      await receiver.waitFor(() => receiver.forSession(session.sid).some((r) => r.params.Capture === capture && r.params.PartialResult === 'false'));
      const { body } = await paytone.get(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${call.sid}/Payments/${session.sid}.json`);
      assert.notEqual(body[shown], null, `${capture} accepted`);
    }
    await payments(session.sid).update({ idempotencyKey: 'schema-complete', statusCallback: `${receiver.url}/pay`, status: 'complete' });
    await receiver.waitFor(() => receiver.forSession(session.sid).some((r) => r.params.Result === 'success'));

    await client.calls(call.sid).fetch();
    await client.calls.list({ limit: 20 });
    await client.calls(call.sid).update({ status: 'completed' });

    const extension = await paytone.get(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${call.sid}/Payments/${session.sid}.json`);
    const asPayment = validatorFor('api.v2010.account.call.payments', { allowExtraFields: true });
    assert.ok(asPayment(extension.body), `our GET extends Twilio's payment: ${JSON.stringify(asPayment.errors)}`);

    for (const callback of receiver.forSession(session.sid)) {
      for (const name of ['DateCreated', 'DateUpdated']) {
        if (callback.params[name] !== undefined) assert.match(callback.params[name]!, RFC_2822, `callback ${name}`);
      }
    }
    assert.deepEqual(
      [...new Set(exchanges.map((e) => operationOf(e).id))].sort(),
      ['CreateCall', 'CreatePayments', 'FetchCall', 'ListCall', 'UpdateCall', 'UpdatePayments'],
      'every operation was exercised',
    );
  });

  it('refuses with exactly Twilio\'s error envelope', async () => {
    const client = recordingClient();
    const call = await client.calls.create({ to: '+15551230401', from: '+15559870401' });
    const payments = client.calls(call.sid).payments;
    const base = { statusCallback: `${receiver.url}/pay` };
    const refuse = async (code: number, attempt: Promise<unknown>) =>
      assert.rejects(attempt, (err: { code: number; message: string }) => {
        assert.equal(err.code, code, err.message);
        return true;
      });
    await refuse(20003, recordingClient('0'.repeat(32)).calls(call.sid).fetch());
    await refuse(20404, client.calls(`CA${'0'.repeat(32)}`).fetch());
    await refuse(20404, client.calls(`CA${'0'.repeat(32)}`).payments.create({ ...base, idempotencyKey: 'e1' }));
    await refuse(64003, payments.create({ ...base, idempotencyKey: 'e2', chargeAmount: -5 }));
    await refuse(64004, payments.create({ ...base, idempotencyKey: 'e3', paymentConnector: 'NoSuchGateway' }));
    await refuse(64017, payments.create({ ...base, idempotencyKey: 'e4', bankAccountType: 'consumer-checking' }));
    const session = await payments.create({ ...base, idempotencyKey: 'e5', chargeAmount: 5 });
    await refuse(64021, payments.create({ ...base, idempotencyKey: 'e6', chargeAmount: 6 }));
    await refuse(64018, payments(session.sid).update({ ...base, idempotencyKey: 'e7' }));
    await refuse(64019, payments(session.sid).update({ ...base, idempotencyKey: 'e8', status: 'complete' }));

    const unknownRoute = await paytone.get(`/2010-04-01/Accounts/${ACCOUNT_SID}/Nothing.json`);
    assertEnvelope(unknownRoute.status, unknownRoute.body, 'an unknown route');
    assert.equal(exchanges.filter((e) => e.status >= 400).length, 9, 'each refusal reached paytone once');
  });

  it('was sent requests that fit each operation\'s form schema, and gave responses that fit its response schema', () => {
    assert.ok(exchanges.length > 15);
    assert.deepEqual(formProblems('UpdatePayments', { Capture: 'card', Foo: '1', IdempotencyKey: 'k' }), [
      'StatusCallback is required',
      'Capture=card is not one of ' + (resolved({ $ref: '#/components/schemas/payments_enum_capture' }).enum as string[]).join(', '),
      'Foo is not a parameter of UpdatePayments',
    ], 'the form check itself finds what is wrong');
    const problems = exchanges.flatMap((e) => formProblems(operationOf(e).id, e.form).map((p) => `${e.method} ${e.path}: ${p}`));
    assert.deepEqual(problems, []);
    for (const exchange of exchanges) assertResponse(exchange, operationOf(exchange));
  });
});
