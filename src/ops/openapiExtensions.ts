/**
 * The OpenAPI description of paytone's own routes: the read extensions on Twilio's paths, the sandbox keypad,
 * the `/v1` resources (live events, event tokens, payment connectors, audit log), the console pages and the
 * operations routes.
 * A route the server serves but this file (or Twilio's part) does not describe fails the OpenAPI test: add the
 * route here in the same change.
 *
 * @example
 *   EXTENSION_PATHS['/healthz'].get.summary // 'Liveness: ...'
 */

type Schema = Record<string, unknown>;
type Operation = Record<string, unknown>;

const ACCOUNT = '/2010-04-01/Accounts/{AccountSid}';
const PAYMENTS = `${ACCOUNT}/Calls/{CallSid}/Payments`;

const sid = (prefix: string): Schema => ({ type: 'string', pattern: `^${prefix}[0-9a-fA-F]{32}$` });
const text: Schema = { type: 'string' };
const nullableText: Schema = { type: 'string', nullable: true };
const rfc2822: Schema = { type: 'string', format: 'date-time-rfc-2822' };
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const object = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({ type: 'object', properties, required });

const pathParameter = (name: string, schema: Schema) => ({ name, in: 'path', required: true, schema });
const queryParameter = (name: string, schema: Schema, description: string) => ({ name, in: 'query', required: false, schema, description });
const accountSid = pathParameter('AccountSid', sid('AC'));
const callSid = pathParameter('CallSid', sid('CA'));
const paymentSid = pathParameter('Sid', sid('PK'));
const uniqueName = pathParameter('UniqueName', { type: 'string', minLength: 1, maxLength: 64 });

const json = (description: string, schema: Schema) => ({ description, content: { 'application/json': { schema } } });
const form = (properties: Record<string, Schema>, required: string[] = []) => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties, ...(required.length > 0 ? { required } : {}) } } },
});
/** Twilio's error envelope for each status an operation may answer with. */
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]));
const page = (description: string) => ({ description, content: { 'text/html': { schema: text } } });
const basic = [{ accountSid_authToken: [] }];
const open: unknown[] = [];

/** Operations paytone adds on Twilio's own paths (Twilio's file has no GET for Payments). */
export const EXTENSION_OPERATIONS: Record<string, Record<string, Operation>> = {
  [`${PAYMENTS}.json`]: {
    get: {
      operationId: 'ListPayments',
      summary: "Extension: the call's pay sessions, each as in FetchPayment.",
      parameters: [accountSid, callSid],
      security: basic,
      responses: { '200': json('The sessions.', object({ payments: { type: 'array', items: ref('paytone.payment_session') }, uri: text })), ...errors(401, 404) },
    },
  },
  [`${PAYMENTS}/{Sid}.json`]: {
    get: {
      operationId: 'FetchPayment',
      summary: "Extension: a pay session with its status, what is still required, masked values and its result. Values show no more than the callbacks do.",
      parameters: [accountSid, callSid, paymentSid],
      security: basic,
      responses: { '200': json('The session.', ref('paytone.payment_session')), ...errors(401, 404) },
    },
  },
};

export const EXTENSION_PATHS: Record<string, Record<string, Operation>> = {
  '/': {
    get: {
      operationId: 'FetchServiceIndex',
      summary: 'Where the APIs are.',
      security: open,
      responses: { '200': json('The index.', object({ name: text, api: text, sandbox_keypad: text, console: text, phone: text, openapi: text })) },
    },
  },
  [`${PAYMENTS}/{Sid}/Events.json`]: {
    get: {
      operationId: 'ListPaymentEvents',
      summary: "Extension: the session's event log: every status callback's parameters (masked) and its delivery (attempts, last answer, next attempt).",
      parameters: [accountSid, callSid, paymentSid],
      security: basic,
      responses: { '200': json('The event log, oldest first.', object({ events: { type: 'array', items: ref('paytone.session_event') }, uri: text })), ...errors(401, 404) },
    },
  },
  [`${ACCOUNT}/Calls/{CallSid}/Keypad.json`]: {
    get: {
      operationId: 'FetchCallKeypad',
      summary:
        "Extension: a real call's keypad, counts only: keys by the transport that carried each first, reports of a key another transport already carried, keys masked from the agent, tones the in-band detector rejected. Known to the process that holds the call, while it is up and for the last 1000 calls after.",
      parameters: [accountSid, callSid],
      security: basic,
      responses: {
        '200': json(
          'The counts.',
          object({
            account_sid: sid('AC'),
            call_sid: sid('CA'),
            live: { type: 'boolean' },
            keys: object({ rfc4733: { type: 'integer' }, sip_info: { type: 'integer' }, in_band: { type: 'integer' } }),
            same_key_again: { type: 'integer' },
            masked: { type: 'integer' },
            detector_rejections: { type: 'integer' },
            uri: text,
          }),
        ),
        ...errors(401, 404),
      },
    },
  },
  [`${PAYMENTS}/{Sid}/Audit.json`]: {
    get: {
      operationId: 'ListPaymentAudit',
      summary: 'Extension: who did what to the session (credential sid, source address, action, masked parameters), oldest first.',
      parameters: [accountSid, callSid, paymentSid],
      security: basic,
      responses: { '200': json('The audit entries.', object({ entries: { type: 'array', items: ref('paytone.audit_entry') }, uri: text })), ...errors(401, 404) },
    },
  },
  '/sandbox/Accounts/{AccountSid}/Calls/{CallSid}/Dtmf.json': {
    post: {
      operationId: 'PressSandboxKeys',
      summary: "Sandbox caller: type digits on the call's keypad. They reach the call in order, one every PAYTONE_DTMF_INTERVAL_MS.",
      parameters: [accountSid, callSid],
      security: basic,
      requestBody: form({ Digits: { type: 'string', pattern: '^[0-9*#w]+$', description: '0-9, * and #; w is half a second of pause.' } }, ['Digits']),
      responses: { '202': json('Queued; the digits are never echoed.', object({ account_sid: sid('AC'), call_sid: sid('CA'), queued: { type: 'integer' } })), ...errors(400, 401, 404) },
    },
    get: {
      operationId: 'FetchSandboxKeypad',
      summary: 'Sandbox caller: how many typed keys have not reached the call yet; a script waits for 0 before the next step.',
      parameters: [accountSid, callSid],
      security: basic,
      responses: { '200': json('Keys still on their way.', object({ account_sid: sid('AC'), call_sid: sid('CA'), queued: { type: 'integer' } })), ...errors(401, 404) },
    },
  },
  '/v1/Accounts/{AccountSid}/EventTokens.json': {
    post: {
      operationId: 'CreateEventToken',
      summary: "A short-lived token for the live event stream, for a browser's EventSource, which cannot send an Authorization header.",
      parameters: [accountSid],
      security: basic,
      responses: {
        '201': json('The token.', object({ account_sid: sid('AC'), token: text, ttl: { type: 'integer', description: 'seconds' }, date_expires: rfc2822, events_uri: text })),
        ...errors(401),
      },
    },
  },
  '/v1/Accounts/{AccountSid}/Events': {
    get: {
      operationId: 'StreamEvents',
      summary: "Live events of the account's pay sessions and calls as Server-Sent Events; each mirrors a status callback, masked the same way, except `asking` (a field the agent has just asked for: Capture, ExpectedDigits, FirstDigitTimeout, Timeout). Resume with Last-Event-ID.",
      parameters: [
        accountSid,
        queryParameter('CallSid', sid('CA'), 'Only this call.'),
        queryParameter('PaymentSid', sid('PK'), 'Only this pay session.'),
        queryParameter('Token', text, 'An event token instead of Basic auth.'),
        queryParameter('LastEventId', { type: 'integer', minimum: 0 }, 'Resume after this event (the Last-Event-ID header wins).'),
        { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'integer', minimum: 0 } },
      ],
      security: [...basic, { eventToken: [] }],
      responses: {
        '200': { description: 'An endless stream: `id`, `event` and a JSON `data` line per event, and comment heartbeats.', content: { 'text/event-stream': { schema: text } } },
        ...errors(400, 401),
      },
    },
  },
  '/v1/Accounts/{AccountSid}/PayConnectors.json': {
    post: {
      operationId: 'CreatePayConnector',
      summary: 'Register a payment connector for the account. Secrets (Password, ApiKey) are write-only.',
      parameters: [accountSid],
      security: basic,
      requestBody: form(connectorFields(), ['UniqueName', 'Type']),
      responses: { '201': json('The connector.', ref('paytone.pay_connector')), ...errors(400, 401) },
    },
    get: {
      operationId: 'ListPayConnectors',
      summary: "The account's payment connectors, the built-in Default (sandbox gateway) included.",
      parameters: [accountSid],
      security: basic,
      responses: {
        '200': json('The connectors.', object({ pay_connectors: { type: 'array', items: ref('paytone.pay_connector') }, meta: object({ key: text, url: text }) })),
        ...errors(401),
      },
    },
  },
  '/v1/Accounts/{AccountSid}/PayConnectors/{UniqueName}.json': {
    get: {
      operationId: 'FetchPayConnector',
      summary: 'A payment connector.',
      parameters: [accountSid, uniqueName],
      security: basic,
      responses: { '200': json('The connector.', ref('paytone.pay_connector')), ...errors(401, 404) },
    },
    post: {
      operationId: 'UpdatePayConnector',
      summary: 'Change the parameters given; the others keep their values.',
      parameters: [accountSid, uniqueName],
      security: basic,
      requestBody: form(connectorFields()),
      responses: { '200': json('The connector.', ref('paytone.pay_connector')), ...errors(400, 401, 404) },
    },
    delete: {
      operationId: 'DeletePayConnector',
      summary: 'Remove a payment connector.',
      parameters: [accountSid, uniqueName],
      security: basic,
      responses: { '204': { description: 'Removed.' }, ...errors(400, 401, 404) },
    },
  },
  '/v1/Accounts/{AccountSid}/AuditLog.json': {
    get: {
      operationId: 'ListAuditLog',
      summary: "The account's audit log, oldest first, a page at a time.",
      parameters: [
        accountSid,
        queryParameter('CallSid', sid('CA'), 'Only this call.'),
        queryParameter('PaymentSid', sid('PK'), 'Only this pay session.'),
        queryParameter('PageSize', { type: 'integer', minimum: 1, maximum: 1000 }, 'Entries per page (100 by default).'),
        queryParameter('AfterId', { type: 'integer', minimum: 0 }, 'Entries after this id (from next_page_uri).'),
      ],
      security: basic,
      responses: {
        '200': json('A page of entries.', object({ entries: { type: 'array', items: ref('paytone.audit_entry') }, page_size: { type: 'integer' }, uri: text, next_page_uri: nullableText })),
        ...errors(400, 401),
      },
    },
  },
  '/console': {
    get: {
      operationId: 'FetchAgentConsole',
      summary: "The agent console (HTML): sign in with the account's credentials, run pay sessions and watch their masked events live.",
      security: open,
      responses: { '200': page('The page.') },
    },
  },
  '/phone': {
    get: {
      operationId: 'FetchSandboxPhone',
      summary: "The sandbox caller's phone (HTML): a keypad that sends digits to a sandbox call.",
      security: open,
      responses: { '200': page('The page.') },
    },
  },
  '/ui/{file}': {
    get: {
      operationId: 'FetchUiAsset',
      summary: 'A script, style sheet or icon of the pages; only the files shipped in src/ui/ are served.',
      parameters: [pathParameter('file', { type: 'string' })],
      security: open,
      responses: { '200': { description: 'The file, with its content type.', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } }, ...errors(404) },
    },
  },
  '/sandbox/StatusCallbacks': {
    post: {
      operationId: 'SinkSandboxCallback',
      summary: 'A StatusCallback that accepts every callback and keeps nothing, for sessions run by hand from the console (their events are on the live stream).',
      security: open,
      responses: { '204': { description: 'Taken.' } },
    },
  },
  '/healthz': {
    get: {
      operationId: 'CheckLiveness',
      summary: 'Liveness: 200 while the process answers.',
      security: open,
      responses: { '200': json('Alive.', object({ status: { type: 'string', enum: ['ok'] } })) },
    },
  },
  '/readyz': {
    get: {
      operationId: 'CheckReadiness',
      summary: 'Readiness: 200 when the database answers and has every migration, 503 otherwise or while shutting down.',
      security: open,
      responses: { '200': json('Ready.', ref('paytone.readiness')), '503': json('Not ready; `reason` says why.', ref('paytone.readiness')) },
    },
  },
  '/metrics': {
    get: {
      operationId: 'FetchMetrics',
      summary: 'Prometheus metrics of this process. Open unless PAYTONE_METRICS_TOKEN is set; then a bearer token.',
      security: [{}, { metricsToken: [] }],
      responses: { '200': { description: 'Prometheus text format 0.0.4.', content: { 'text/plain': { schema: text } } }, ...errors(401) },
    },
  },
  '/openapi.json': {
    get: {
      operationId: 'FetchOpenApi',
      summary: 'This document.',
      security: open,
      responses: { '200': json('OpenAPI 3.0.', { type: 'object' }) },
    },
  },
};

function connectorFields(): Record<string, Schema> {
  const list = { type: 'string', description: 'Space- or comma-separated.' };
  return {
    UniqueName: { type: 'string', maxLength: 64 },
    Type: { type: 'string', enum: ['sandbox', 'generic', 'stripe'] },
    Mode: { type: 'string', enum: ['test', 'live'] },
    EndpointUrl: { type: 'string', format: 'uri', description: 'generic' },
    Username: { type: 'string', description: 'generic' },
    Password: { type: 'string', writeOnly: true, description: 'generic; write-only' },
    ApiKey: { type: 'string', writeOnly: true, description: 'stripe; write-only' },
    ApiBase: { type: 'string', format: 'uri', description: 'stripe' },
    SupportsCharge: { type: 'boolean' },
    SupportsTokenize: { type: 'boolean' },
    PaymentMethods: list,
    TokenTypes: list,
    Currencies: list,
  };
}

const masked = (example: string): Schema => ({ type: 'string', nullable: true, description: `masked, e.g. ${example}` });

export const EXTENSION_SCHEMAS: Record<string, Schema> = {
  'paytone.error': object({ code: { type: 'integer' }, message: text, more_info: { type: 'string', format: 'uri' }, status: { type: 'integer' } }),
  'paytone.payment_session': object({
    account_sid: sid('AC'),
    call_sid: sid('CA'),
    sid: sid('PK'),
    date_created: rfc2822,
    date_updated: rfc2822,
    uri: text,
    status: { type: 'string', enum: ['in-progress', 'awaiting-confirmation', 'completing', 'completed', 'failed', 'canceled'] },
    capture: nullableText,
    required: { type: 'array', items: text },
    payment_method: { type: 'string', enum: ['credit-card', 'ach-debit'] },
    charge_amount: nullableText,
    currency: text,
    token_type: nullableText,
    payment_connector: text,
    payment_card_number: masked('xxxx-xxxx-xxxx-4242'),
    payment_card_type: nullableText,
    expiration_date: nullableText,
    security_code: masked('xxx'),
    payment_card_postal_code: nullableText,
    bank_routing_number: nullableText,
    bank_account_number: masked('**********89'),
    result: nullableText,
    payment_confirmation_code: nullableText,
    payment_token: nullableText,
    profile_id: nullableText,
    payment_error: nullableText,
    pay_error_code: { type: 'integer', nullable: true },
    connector_error: nullableText,
  }),
  'paytone.session_event': object({
    sequence_number: { type: 'integer' },
    kind: { type: 'string', enum: ['started', 'capture', 'completing', 'ended'] },
    date_created: rfc2822,
    parameters: { type: 'object', additionalProperties: text, description: 'The status callback, exactly as sent.' },
    callback: object({
      url: text,
      status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
      attempts: { type: 'integer' },
      last_attempt: { ...rfc2822, nullable: true },
      last_response_code: { type: 'integer', nullable: true },
      last_error: nullableText,
      next_attempt: { ...rfc2822, nullable: true },
    }),
  }),
  'paytone.audit_entry': object({
    id: { type: 'integer' },
    date_created: rfc2822,
    account_sid: sid('AC'),
    credential_sid: { type: 'string', description: 'The account or API key sid that authenticated; never a secret.' },
    source_ip: text,
    user_agent: nullableText,
    action: text,
    method: text,
    path: text,
    call_sid: nullableText,
    payment_sid: nullableText,
    response_status: { type: 'integer' },
    error_code: { type: 'integer', nullable: true },
    parameters: { type: 'object', additionalProperties: text, description: 'Masked.' },
  }),
  'paytone.pay_connector': {
    ...object(
      {
        account_sid: sid('AC'),
        unique_name: text,
        type: { type: 'string', enum: ['sandbox', 'generic', 'stripe'] },
        mode: { type: 'string', enum: ['test', 'live'] },
        built_in: { type: 'boolean' },
        endpoint_url: text,
        username: text,
        password_set: { type: 'boolean' },
        api_base: text,
        api_key_set: { type: 'boolean' },
        supports_charge: { type: 'boolean' },
        supports_tokenize: { type: 'boolean' },
        payment_methods: { type: 'array', items: text },
        token_types: { type: 'array', items: text },
        currencies: { oneOf: [{ type: 'array', items: text }, { type: 'string', enum: ['any'] }] },
        date_created: nullableText,
        date_updated: nullableText,
        url: text,
      },
      ['account_sid', 'unique_name', 'type', 'mode', 'built_in', 'url'],
    ),
  },
  'paytone.readiness': object(
    {
      status: { type: 'string', enum: ['ready', 'unavailable', 'draining'] },
      database: { type: 'string', enum: ['ok', 'unreachable'] },
      migrations: { type: 'object', nullable: true, properties: { applied: { type: 'integer' }, pending: { type: 'array', items: text } } },
      reason: text,
    },
    ['status', 'database', 'migrations'],
  ),
};
