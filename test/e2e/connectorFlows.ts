/**
 * Steps shared by the connector e2e suites: manage connectors through `/v1/.../PayConnectors`, and run a
 * whole pay session through a named connector with the official twilio client and the sandbox keypad.
 */
import assert from 'node:assert/strict';
import { ACCOUNT_SID, AUTH_TOKEN, type PaytoneProcess } from '../support/paytone.js';
import { futureExpiry, type PaytoneUnderTest } from './flows.js';

export const connectorsPath = (name?: string): string => `/v1/Accounts/${ACCOUNT_SID}/PayConnectors${name ? `/${name}` : ''}.json`;

/** Creates a connector and returns its JSON (fails the test unless 201). */
export async function createConnector(paytone: PaytoneProcess, form: Record<string, string>): Promise<Record<string, any>> {
  const { status, body } = await paytone.post(connectorsPath(), form);
  assert.equal(status, 201, JSON.stringify(body));
  return body;
}

export async function deleteConnector(paytone: PaytoneProcess, name: string): Promise<number> {
  const response = await fetch(paytone.baseUrl + connectorsPath(name), {
    method: 'DELETE',
    headers: { authorization: 'Basic ' + Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64') },
  });
  await response.arrayBuffer();
  return response.status;
}

/** A card session through `connector`, typed on the keypad and completed; returns the final callback. */
export async function payByCard(
  pay: PaytoneUnderTest,
  connector: string,
  card: string,
  options: Record<string, unknown> = { chargeAmount: 12.5 },
): Promise<{ callSid: string; sid: string; final: Record<string, string> }> {
  const { callSid, sid } = await startCardSession(pay, connector, card, options);
  return { callSid, sid, final: await pay.finish(callSid, sid) };
}

/** A card session with every field captured, not yet completed. */
export async function startCardSession(pay: PaytoneUnderTest, connector: string, card: string, options: Record<string, unknown> = { chargeAmount: 12.5 }) {
  const { callSid, sid } = await pay.startSession({ paymentConnector: connector, ...options });
  await pay.capture(callSid, sid, 'payment-card-number', `${card}#`);
  await pay.capture(callSid, sid, 'expiration-date', futureExpiry());
  await pay.capture(callSid, sid, 'security-code', '123#');
  await pay.capture(callSid, sid, 'postal-code', '94107#');
  return { callSid, sid };
}

/** An ACH session through `connector`; returns the final callback. */
export async function payByBank(pay: PaytoneUnderTest, connector: string, account: string): Promise<{ sid: string; final: Record<string, string> }> {
  const { callSid, sid } = await pay.startSession({ paymentConnector: connector, paymentMethod: 'ach-debit', chargeAmount: 30 });
  await pay.capture(callSid, sid, 'bank-routing-number', '110000000#');
  await pay.capture(callSid, sid, 'bank-account-number', `${account}#`);
  return { sid, final: await pay.finish(callSid, sid) };
}

/** The Twilio error a rejected client call carried: `{ code, status }`. */
export async function twilioError(promise: Promise<unknown>): Promise<{ code: number; status: number; message: string }> {
  try {
    await promise;
  } catch (err) {
    const { code, status, message } = err as { code: number; status: number; message: string };
    return { code, status, message };
  }
  assert.fail('the request was accepted');
}
