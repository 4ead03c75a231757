/**
 * Twilio's error envelope as a client sees it: exactly `code, message, more_info, status`, the HTTP status in
 * the body, and `more_info` pointing at the code's page.
 *
 * @example
 *   assertEnvelope(response.status, await response.json(), 'POST /Payments.json');
 */
import assert from 'node:assert/strict';

const ENVELOPE_KEYS = ['code', 'message', 'more_info', 'status'];

export function assertEnvelope(status: number, body: any, where: string): void {
  assert.ok(body !== null && typeof body === 'object', `${where}: the body is a JSON object`);
  assert.deepEqual(Object.keys(body).sort(), ENVELOPE_KEYS, `${where}: the envelope has exactly ${ENVELOPE_KEYS.join(', ')}`);
  assert.equal(typeof body.code, 'number', where);
  assert.equal(typeof body.message, 'string', where);
  assert.ok(body.message.length > 0, `${where}: the message says what was wrong`);
  assert.equal(body.status, status, `${where}: status in the body is the HTTP status`);
  assert.equal(body.more_info, `https://www.twilio.com/docs/errors/${body.code}`, where);
}

/** The same for a raw response: a JSON content type and a body that parses. */
export function assertEnvelopeText(status: number, headers: Record<string, string | undefined>, text: string, where: string): void {
  assert.match(headers['content-type'] ?? '', /^application\/json/, `${where}: JSON content type`);
  let body: unknown;
  assert.doesNotThrow(() => (body = JSON.parse(text)), `${where}: the body is JSON`);
  assertEnvelope(status, body, where);
}
