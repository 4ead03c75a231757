/**
 * Runs TwiML on a fake call (test/support/fakeCall.ts) with an app a test writes: each URL answered with its
 * document, or a fetch problem; what the app was asked, the notifications, and what the live feed was told.
 *
 * @example
 *   const { call, problems } = await runCall({ [`${APP}/voice`]: twiml('<Say>Hello</Say>') });
 *   assert.deepEqual(call.actions, ['answer', 'say Hello', 'hangUp']);
 */
import assert from 'node:assert/strict';
import { CallRedirects, TwimlInterpreter, type FetchedTwiml, type TwimlSource } from '../../src/twiml/interpreter.js';
import type { TwimlProblem } from '../../src/twiml/problems.js';
import { ANY_CALLBACK } from '../../src/domain/callbackPolicy.js';
import type { CallRecord } from '../../src/domain/callView.js';
import type { DialOutcome } from '../../src/twiml/callControl.js';
import { callRecord } from './callRecords.js';
import { fakeCall, type FakeCall } from './fakeCall.js';

export const APP = 'https://app.example';
export const inbound = callRecord({ status: 'ringing', direction: 'inbound', answerTime: null, url: `${APP}/voice`, sipCallId: 'a84b@10.0.0.1', sipSourceIp: '10.0.0.1' });

export interface Run {
  call: FakeCall;
  requests: Array<{ url: string; method: string; params: Record<string, string> }>;
  problems: TwimlProblem[];
  /** What the call's live feed was told: `said <text>`, `played <url>`. */
  narrated: string[];
}

/** Runs `first` on the call with an app that answers each URL with its document (or a fetch problem). */
export async function runCall(
  documents: Record<string, string | TwimlProblem>,
  options: { record?: CallRecord; first?: TwimlSource; dial?: (call: FakeCall) => Promise<DialOutcome>; policy?: typeof ANY_CALLBACK; redirects?: CallRedirects; setUp?: (call: FakeCall) => void } = {},
): Promise<Run> {
  const record = options.record ?? inbound;
  const call = fakeCall(options.dial ? { dial: (_t, _o, c) => options.dial!(c) } : {});
  options.setUp?.(call);
  const requests: Run['requests'] = [];
  const problems: TwimlProblem[] = [];
  const narrated: string[] = [];
  const interpreter = new TwimlInterpreter({
    clock: call.clock,
    policy: options.policy ?? ANY_CALLBACK,
    async fetchTwiml(_accountSid, request): Promise<FetchedTwiml> {
      requests.push({ url: request.url, method: request.method, params: request.params });
      const answer = documents[request.url];
      const shown = { url: request.url, method: request.method, params: request.params };
      if (answer === undefined) return { ok: false, problem: { code: 11200, message: `404 from ${request.url}` }, request: shown };
      if (typeof answer !== 'string') return { ok: false, problem: answer, request: shown };
      return { ok: true, text: answer, request: shown };
    },
    async notify(_call, problem) {
      problems.push(problem);
    },
    keys: { subscribe: (_callSid, listener) => call.keys(listener), onPress: (_callSid, listener) => call.keys(() => listener()) },
    async narrate(_call, kind, params) {
      narrated.push(`${kind} ${params.Text ?? params.Url}`);
    },
  });
  const first = options.first ?? { kind: 'request', url: `${APP}/voice`, method: 'POST', fallback: null, params: {}, evenIfHungUp: false };
  await interpreter.run(record, call.control, first, options.redirects);
  return { call, requests, problems, narrated };
}

export const twiml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;


/** Each document body (inside `<Response>`) ends the call at once with its Twilio code, before anything is done. */
export async function assertRefused(cases: Array<[body: string, code: number]>): Promise<void> {
  for (const [body, code] of cases) {
    const { call, problems } = await runCall({ [`${APP}/voice`]: twiml(body) });
    assert.equal(problems[0]?.code, code, body);
    assert.deepEqual(call.actions, ['hangUp'], body);
  }
}
