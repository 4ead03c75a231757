/**
 * Sandbox calls that run an app's `<Pay>`, for the IVR payment tests: a call to one of the app's documents, its
 * fields typed on the sandbox keypad as each is asked (the account's live feed says when), and its action POST,
 * checked to be signed as the twilio library checks it.
 *
 * @example
 *   const calls = ivrPayCalls(paytone, app, feed);
 *   const callSid = await calls.callTo('/card');
 *   await calls.type(callSid, [['payment-card-number', '4242424242424242#'], ['expiration-date', '1230']]);
 *   const params = payParams(await calls.actionOf(callSid));
 */
import assert from 'node:assert/strict';
import twilio from 'twilio';
import type { PaytoneProcess } from '../support/paytone.js';
import { until } from '../support/poll.js';
import type { EventStream } from '../support/sse.js';
import type { TwimlApp, WebhookRequest } from '../support/twimlApp.js';

export type Pay = ReturnType<twilio.twiml.VoiceResponse['pay']>;

/** A document whose only verb is a `<Pay>` posting to `action`. */
export function payDocument(attributes: Record<string, unknown>, nouns: (pay: Pay) => void = () => undefined): string {
  const response = new twilio.twiml.VoiceResponse();
  nouns(response.pay(attributes as never));
  return response.toString();
}

/** The pay parameters of an action POST, without the call's own. */
export function payParams(request: WebhookRequest): Record<string, string> {
  const callParams = new Set(['AccountSid', 'ApiVersion', 'CallSid', 'CallStatus', 'Called', 'Caller', 'Direction', 'From', 'To', 'ForwardedFrom', 'CallerName', 'ParentCallSid']);
  return Object.fromEntries(Object.entries(request.params).filter(([k]) => !callParams.has(k) && !/^(From|To|Called|Caller)(City|State|Zip|Country)$/.test(k)));
}

/**
 * Checks an action POST for the sandbox's Visa ending 4242 paid with expiry 1230, security code 123 and postal code
 * 94107: every pay parameter, masked, and a confirmation code.
 */
export function assertPaidByVisa4242(action: WebhookRequest): void {
  const params = payParams(action);
  assert.match(params.PaymentConfirmationCode ?? '', /\S/);
  delete params.PaymentConfirmationCode;
  assert.deepEqual(params, {
    Result: 'success',
    PaymentMethod: 'credit-card',
    PaymentCardNumber: 'xxxx-xxxx-xxxx-4242',
    PaymentCardType: 'visa',
    ExpirationDate: '1230',
    SecurityCode: 'xxx',
    PaymentCardPostalCode: '94107',
  });
}

export function ivrPayCalls(paytone: PaytoneProcess, app: TwimlApp, feed: EventStream, actionPath = '/paid') {
  /** Waits until the call's `<Pay>` asks for `capture` for the `tries`-th time (its `asking` live events). */
  async function asked(callSid: string, capture: string, tries = 1): Promise<void> {
    await until(`${capture} asked (try ${tries})`, async () => {
      const asks = feed.events.filter((e) => e.event === 'asking' && e.data.call_sid === callSid && e.data.parameters.Capture === capture);
      return asks.length >= tries;
    });
  }

  return {
    asked,
    async callTo(path: string): Promise<string> {
      const call = await paytone.client().calls.create({ to: '+15551230500', from: '+15559870500', url: `${app.url}${path}` });
      return call.sid;
    },
    /** Types each entry once its field is asked. */
    async type(callSid: string, entries: Array<[capture: string, digits: string]>): Promise<void> {
      const tries = new Map<string, number>();
      for (const [capture, digits] of entries) {
        const n = (tries.get(capture) ?? 0) + 1;
        tries.set(capture, n);
        await asked(callSid, capture, n);
        await paytone.press(callSid, digits);
      }
    },
    /** A call to `path` with each entry typed as its field is asked: its sid and the pay parameters of its action. */
    async pay(path: string, entries: Array<[capture: string, digits: string]>): Promise<{ callSid: string; params: Record<string, string> }> {
      const callSid = await this.callTo(path);
      await this.type(callSid, entries);
      return { callSid, params: payParams(await this.actionOf(callSid)) };
    },
    /** The action POST of the call, once made, checked to be signed as the twilio library checks it. */
    async actionOf(callSid: string): Promise<WebhookRequest> {
      const posted = await until('the action POST', async () => app.to(actionPath).find((r) => r.params.CallSid === callSid));
      assert.equal(posted.method, 'POST');
      assert.ok(posted.signatureValid, 'twilio.validateRequest accepts the action POST');
      return posted;
    },
    /** What the call's `statusCallback` (at `/progress`) heard, in order: `[For, Attempt, ErrorType]`, each signed. */
    progress(callSid: string): Array<[string | undefined, string | undefined, string]> {
      const heard = app.to('/progress').filter((r) => r.params.CallSid === callSid);
      assert.ok(heard.every((r) => r.signatureValid), 'twilio.validateRequest accepts every statusCallback request');
      return heard.map((r) => [r.params.For, r.params.Attempt, r.params.ErrorType ?? '']);
    },
    /** What paytone said on the call, in order (its `said` live events). */
    said(callSid: string): string[] {
      return feed.events.filter((e) => e.event === 'said' && e.data.call_sid === callSid).map((e) => e.data.parameters.Text);
    },
  };
}
