/**
 * The repository keeps an excerpt of Twilio's OpenAPI file instead of reading the whole file from outside the
 * checkout: it must be a document of its own (every $ref resolves), say where it came from, and hold exactly what
 * the excerpt of Twilio's file keeps, so a refresh from a newer file changes only what paytone uses.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { excerptTwilioDocument, type TwilioExcerpt } from '../../src/ops/twilioExcerpt.js';
import { TWILIO_OPERATIONS } from '../../src/ops/twilioOperations.js';
import { TWILIO_EXCERPT_FILE } from '../../src/ops/writeTwilioOperations.js';

function committedExcerpt(): TwilioExcerpt & { 'x-paytone-source': Record<string, string> } {
  return JSON.parse(fs.readFileSync(TWILIO_EXCERPT_FILE, 'utf8'));
}

test('the excerpt is a valid OpenAPI document whose every reference resolves inside it', async () => {
  const document = committedExcerpt();
  await SwaggerParser.validate(structuredClone(document) as never);
  assert.deepEqual(
    Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`)).sort(),
    TWILIO_OPERATIONS.map((o) => `${o.method} ${o.path}`).sort(),
    'the operations paytone serves, no other',
  );
});

test('the excerpt names the repository, path, commit and licence it was taken from', () => {
  const source = committedExcerpt()['x-paytone-source'];
  assert.equal(source.repository, 'https://github.com/twilio/twilio-oai');
  assert.equal(source.path, 'spec/json/twilio_api_v2010.json');
  assert.match(source.commit ?? '', /^[0-9a-f]{40}$/);
  assert.equal(source.license, 'MIT');
  assert.match(fs.readFileSync(path.join(path.dirname(TWILIO_EXCERPT_FILE), 'LICENSE'), 'utf8'), /^MIT License[\s\S]*Twilio[\s\S]*Permission is hereby granted/);
});

test("refreshing keeps Twilio's operations and schemas unchanged and drops everything paytone does not use", () => {
  const { 'x-paytone-source': _source, ...excerpt } = committedExcerpt();
  const call = '/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json';
  const whole = structuredClone(excerpt) as TwilioExcerpt;
  whole.paths['/2010-04-01/Accounts/{AccountSid}/Messages.json'] = { post: { operationId: 'CreateMessage', responses: {} } };
  whole.paths[call]!.delete = { operationId: 'DeleteCall', responses: {} };
  whole.components.schemas['api.v2010.account.message'] = { type: 'object', properties: { body: { type: 'string' } } };
  assert.deepEqual(excerptTwilioDocument(whole), excerpt);
});

test('a file that lacks an operation paytone serves is refused, naming it', () => {
  const { 'x-paytone-source': _source, ...excerpt } = committedExcerpt();
  const broken = structuredClone(excerpt) as TwilioExcerpt;
  delete broken.paths['/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Payments.json'];
  assert.throws(() => excerptTwilioDocument(broken), /Twilio's file has no POST \/2010-04-01\/Accounts\/\{AccountSid\}\/Calls\/\{CallSid\}\/Payments\.json/);
});
