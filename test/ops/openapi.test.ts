/**
 * /openapi.json: a valid OpenAPI 3 document (checked by swagger-parser, which validates against the OpenAPI
 * schema and resolves every $ref), that describes exactly the routes the server serves, and whose
 * Twilio-compatible part is Twilio's own file trimmed, not a copy that could drift.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import { createAppContext, type AppContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { openApiDocument } from '../../src/ops/openapi.js';
import { TWILIO_OPERATIONS, trimTwilioDocument } from '../../src/ops/twilioOperations.js';
import { TWILIO_OPERATIONS_FILE } from '../../src/ops/writeTwilioOperations.js';
import { loadTwilioSchema } from '../support/twilioSchema.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let app: AppContext;
let server: FastifyInstance;
before(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-openapi-'));
  app = await createAppContext(loadConfig({ PAYTONE_DATA_DIR: dataDir }), createLogger({ level: 'silent' }));
  server = buildServer(app);
  await server.ready();
});
after(async () => {
  await server?.close();
  await app?.close();
});

/** `GET /2010-04-01/Accounts/{}/Calls/{}.json`: parameter names do not matter, their places do. */
const shape = (method: string, url: string) => `${method.toUpperCase()} ${url.replace(/\{[^}]+\}|:[A-Za-z]+/g, '{}')}`;

function documented(): string[] {
  const document = openApiDocument();
  return Object.entries(document.paths).flatMap(([url, item]) => Object.keys(item).filter((key) => METHODS.includes(key)).map((method) => shape(method, url)));
}

test('GET /openapi.json serves the document, without credentials', async () => {
  const response = await server.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  assert.deepEqual(response.json(), openApiDocument());
});

test('the document is valid OpenAPI 3, and every $ref resolves', async () => {
  const document = structuredClone(openApiDocument());
  await SwaggerParser.validate(document as never);
  assert.match(document.openapi, /^3\.0\.\d+$/);
});

test('every route the server serves is described, and nothing else', () => {
  const served = server.servedRoutes.map((r) => shape(r.method, r.url)).sort();
  const described = documented().sort();
  const missing = served.filter((route) => !described.includes(route));
  const extra = described.filter((route) => !served.includes(route));
  assert.deepEqual(missing, [], `served but not in /openapi.json (describe them in src/ops/openapiExtensions.ts): ${missing.join(', ')}`);
  assert.deepEqual(extra, [], `described in /openapi.json but not served: ${extra.join(', ')}`);
  assert.ok(served.length >= 20, 'the route list sees the whole server');
});

test("the Twilio-compatible operations are Twilio's file trimmed, exactly as committed", () => {
  const fromTwilio = trimTwilioDocument(loadTwilioSchema() as never);
  assert.deepEqual(JSON.parse(fs.readFileSync(TWILIO_OPERATIONS_FILE, 'utf8')), fromTwilio, 'run `npm run openapi:twilio` and commit the result');
  assert.equal(Object.values(fromTwilio.paths).flatMap((item) => Object.keys(item)).length, TWILIO_OPERATIONS.length);
  const descriptions: unknown[] = [];
  JSON.stringify(fromTwilio, (key, value: unknown) => (key === 'description' && descriptions.push(value), value));
  const ours = new Set(TWILIO_OPERATIONS.map((o) => o.answer));
  assert.deepEqual(descriptions.filter((d) => !ours.has(d as string)), [], "Twilio's prose is left out; the only descriptions are ours");
});

test("the Payments operations keep every one of Twilio's parameters, names, enums and required lists", () => {
  const source = loadTwilioSchema() as unknown as { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };
  const document = openApiDocument() as any;
  for (const url of ['/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Payments.json', '/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Payments/{Sid}.json']) {
    const ours = document.paths[url].post.requestBody.content['application/x-www-form-urlencoded'].schema;
    const theirs = source.paths[url]!.post.requestBody.content['application/x-www-form-urlencoded'].schema;
    assert.deepEqual(Object.keys(ours.properties), Object.keys(theirs.properties));
    assert.deepEqual(ours.required, theirs.required);
  }
  const capture = document.components.schemas['payments_enum_capture'];
  assert.deepEqual(capture.enum, source.components.schemas['payments_enum_capture'].enum);
  assert.equal(document.paths['/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Payments.json'].post.responses['201'].content['application/json'].schema.$ref, '#/components/schemas/api.v2010.account.call.payments');
});

test('Calls list only the parameters paytone reads', () => {
  const document = openApiDocument() as any;
  const create = document.paths['/2010-04-01/Accounts/{AccountSid}/Calls.json'].post.requestBody.content['application/x-www-form-urlencoded'].schema;
  assert.deepEqual(Object.keys(create.properties).sort(), ['FallbackMethod', 'FallbackUrl', 'From', 'Method', 'StatusCallback', 'StatusCallbackEvent', 'StatusCallbackMethod', 'Timeout', 'To', 'Twiml', 'Url']);
  assert.deepEqual(create.required, ['To', 'From']);
  const list = document.paths['/2010-04-01/Accounts/{AccountSid}/Calls.json'].get.parameters.filter((p: any) => p.in === 'query').map((p: any) => p.name);
  assert.deepEqual(list.sort(), ['From', 'Page', 'PageSize', 'ParentCallSid', 'Status', 'To']);
});

test('account routes say how they authenticate and that they are rate limited; operations routes need no credentials', () => {
  const document = openApiDocument();
  const payments = document.paths['/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Payments/{Sid}.json']!;
  assert.deepEqual(payments.post!.security, [{ accountSid_authToken: [] }]);
  assert.ok(payments.post!.responses['429'] && payments.get!.responses['429']);
  assert.deepEqual(document.paths['/healthz']!.get!.security, []);
  assert.deepEqual(document.paths['/metrics']!.get!.security, [{}, { metricsToken: [] }]);
});
