/**
 * The TwiML interpreter and every verb it runs, over a fake CallControl and a fake clock: what each verb does to the
 * call, what the app is asked (and with which parameters), and how every problem ends the call cleanly with a
 * notification that names it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallRedirects, type TwimlSource } from '../../src/twiml/interpreter.js';
import { parseCallbackPolicy } from '../../src/domain/callbackPolicy.js';
import twilio from 'twilio';
import { callRecord } from '../support/callRecords.js';
import { APP, inbound, runCall, twiml } from '../support/twimlRun.js';

describe('TwiML interpreter', () => {
  it('asks the VoiceUrl with the voice parameters, dials, posts the outcome to action and runs its TwiML', async () => {
    const { call, requests, problems } = await runCall({
      [`${APP}/voice`]: twiml('<Dial action="/after-dial" timeout="20" callerId="+15550001111" record="do-not-record"><Sip>sip:agent@10.0.0.5:5060</Sip></Dial><Pause/>'),
      [`${APP}/after-dial`]: twiml('<Hangup/>'),
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(call.actions, ['answer', 'dial sip:agent@10.0.0.5:5060', 'hangUp'], 'verbs after a Dial with action are not reached');
    const { signal, ...options } = call.dials[0]!.options;
    assert.deepEqual(options, { timeoutSeconds: 20, callerId: '+15550001111', answerOnBridge: false, timeLimitSeconds: 14_400 });
    assert.ok(signal instanceof AbortSignal, 'the dial can be told to end early');
    assert.deepEqual(requests[0]!.params, {
      AccountSid: inbound.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: inbound.sid,
      CallStatus: 'ringing',
      Called: inbound.to,
      Caller: inbound.from,
      Direction: 'inbound',
      From: inbound.from,
      To: inbound.to,
      SipCallId: 'a84b@10.0.0.1',
      SipSourceIp: '10.0.0.1',
    });
    assert.equal(requests[1]!.url, `${APP}/after-dial`, 'resolved against the VoiceUrl');
    assert.equal(requests[1]!.method, 'POST');
    assert.equal(requests[1]!.params.CallStatus, 'in-progress');
    assert.equal(requests[1]!.params.DialCallStatus, 'completed');
    assert.equal(requests[1]!.params.DialCallSid, 'CA' + 'c'.repeat(32));
    assert.equal(requests[1]!.params.DialCallDuration, '42');
  });

  it('without action the document goes on after <Dial>; a busy leg has no duration', async () => {
    const { call } = await runCall(
      { [`${APP}/voice`]: twiml('<Dial>+1 415 555 0100</Dial><Pause length="2"/>') },
      { dial: async () => ({ status: 'busy', childCallSid: 'CA' + 'd'.repeat(32), durationSeconds: 0 }) },
    );
    assert.deepEqual(call.actions, ['answer', 'dial +14155550100', 'hangUp'], 'the end of the document hangs up');
    assert.deepEqual(call.clock.slept, [2000]);
    const busy = await runCall(
      { [`${APP}/voice`]: twiml('<Dial action="/after" method="GET"><Number>+14155550100</Number></Dial>'), [`${APP}/after`]: twiml('') },
      { dial: async () => ({ status: 'busy', childCallSid: 'CA' + 'd'.repeat(32), durationSeconds: 0 }) },
    );
    assert.equal(busy.requests[1]!.method, 'GET');
    assert.equal(busy.requests[1]!.params.DialCallStatus, 'busy');
    assert.equal(busy.requests[1]!.params.DialCallDuration, undefined);
  });

  it('answerOnBridge leaves the caller unanswered until the leg answers; nouns carry their status callbacks', async () => {
    const { call } = await runCall({
      [`${APP}/voice`]: twiml('<Dial answerOnBridge="true"><Sip statusCallback="/leg" statusCallbackEvent="initiated answered" statusCallbackMethod="GET">sip:a@10.0.0.5</Sip><Number>+14155550100</Number></Dial>'),
    });
    assert.deepEqual(call.actions, ['dial sip:a@10.0.0.5 +14155550100', 'hangUp']);
    assert.deepEqual(call.dials[0]!.targets, [
      { kind: 'sip', uri: 'sip:a@10.0.0.5', statusCallback: { url: `${APP}/leg`, method: 'GET', events: ['initiated', 'answered'] } },
      { kind: 'number', number: '+14155550100', statusCallback: null },
    ]);
  });

  it('when the caller hangs up during <Dial>, action is still requested, and the TwiML it returns is not run', async () => {
    const { call, requests } = await runCall(
      { [`${APP}/voice`]: twiml('<Dial action="/after"><Sip>sip:a@10.0.0.5</Sip></Dial>'), [`${APP}/after`]: twiml('<Pause length="5"/>') },
      {
        dial: async (c) => {
          c.hangUpFarEnd();
          return { status: 'completed', childCallSid: 'CA' + 'e'.repeat(32), durationSeconds: 7 };
        },
      },
    );
    assert.equal(requests[1]!.params.CallStatus, 'completed');
    assert.deepEqual(call.clock.slept, []);
    assert.deepEqual(call.actions, ['answer', 'dial sip:a@10.0.0.5'], 'nothing is done to a call that is gone');
  });

  it('<Reject> refuses an unanswered call busy or rejected, and hangs up one already answered', async () => {
    assert.deepEqual((await runCall({ [`${APP}/voice`]: twiml('<Reject reason="busy"/><Pause/>') })).call.actions, ['reject busy']);
    assert.deepEqual((await runCall({ [`${APP}/voice`]: twiml('<Reject/>') })).call.actions, ['reject rejected']);
    assert.deepEqual((await runCall({ [`${APP}/voice`]: twiml('<Pause length="1"/><Reject/>') })).call.actions, ['answer', 'hangUp']);
    const bad = await runCall({ [`${APP}/voice`]: twiml('<Reject reason="maybe"/>') });
    assert.equal(bad.problems[0]!.code, 12200);
  });

  it('<Hangup> ends the call without answering it; <Pause> answers, waits, and stops when the caller hangs up', async () => {
    assert.deepEqual((await runCall({ [`${APP}/voice`]: twiml('<Hangup/><Pause/>') })).call.actions, ['hangUp']);
    const paused = await runCall({ [`${APP}/voice`]: twiml('<Pause length="3"/><Pause length="0"/>') });
    assert.deepEqual(paused.call.clock.slept, [3000, 0]);
    assert.deepEqual(paused.call.actions, ['answer', 'hangUp']);
    const invalid = await runCall({ [`${APP}/voice`]: twiml('<Pause length="soon"/>') });
    assert.deepEqual(invalid.problems.map((p) => p.code), [13910]);
    assert.deepEqual(invalid.call.actions, ['hangUp']);
  });

  it('<Redirect> fetches the next document by its method, relative to the current one', async () => {
    const { requests, call } = await runCall({
      [`${APP}/voice`]: twiml('<Redirect method="GET">next?step=2</Redirect><Hangup/>'),
      [`${APP}/next?step=2`]: twiml('<Pause length="1"/>'),
    });
    assert.deepEqual(requests.map((r) => [r.method, r.url]), [['POST', `${APP}/voice`], ['GET', `${APP}/next?step=2`]]);
    assert.deepEqual(call.actions, ['answer', 'hangUp']);
    const fromTwiml = await runCall({}, { first: { kind: 'twiml', text: twiml('<Redirect>/relative</Redirect>') }, record: callRecord() });
    assert.equal(fromTwiml.problems[0]!.code, 11100, 'a document given as Twiml has nothing to resolve against');
  });

  it('a verb paytone does not run yet, or no verb at all, ends the call there and says which', async () => {
    const record = await runCall({ [`${APP}/voice`]: twiml('<Pause length="1"/><Record/><Pause length="9"/>') });
    assert.deepEqual(record.call.actions, ['answer', 'hangUp']);
    assert.deepEqual(record.call.clock.slept, [1000]);
    assert.equal(record.problems[0]!.code, 12200);
    assert.match(record.problems[0]!.message, /does not run <Record> yet/);
    const foo = await runCall({ [`${APP}/voice`]: twiml('<Foo/>') });
    assert.match(foo.problems[0]!.message, /<Foo> is not a TwiML verb/);
  });

  it('a document that is not TwiML is a parse failure (12100) or a schema problem (12200), and the call ends', async () => {
    const broken = await runCall({ [`${APP}/voice`]: '<Response><Dial></Response>' });
    assert.equal(broken.problems[0]!.code, 12100);
    assert.match(broken.problems[0]!.message, /line 1/);
    assert.deepEqual(broken.call.actions, ['hangUp']);
    assert.equal((await runCall({ [`${APP}/voice`]: '<html><body>Hello</body></html>' })).problems[0]!.code, 12200);
    const entities = await runCall({ [`${APP}/voice`]: '<!DOCTYPE r [<!ENTITY a "aaaa">]><Response>&a;</Response>' });
    assert.equal(entities.problems[0]!.code, 12100);
  });

  it('<Dial> attributes paytone cannot honour are refused by name', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['<Dial timeout="0">+14155550100</Dial>', 13212, /timeout/],
      ['<Dial record="record-from-answer">+14155550100</Dial>', 12200, /does not record/],
      ['<Dial>hello</Dial>', 13224, /E\.164/],
      ['<Dial><Sip>agent@10.0.0.5</Sip></Dial>', 13224, /SIP URI/],
      ['<Dial><Client>alice</Client></Dial>', 12200, /does not dial <Client>/],
      ['<Dial><Number sendDigits="1234">+14155550100</Number></Dial>', 12200, /sendDigits/],
      ['<Dial callerId="a b">+14155550100</Dial>', 13214, /callerId/],
      ['<Dial></Dial>', 12200, /needs something to dial/],
    ];
    for (const [body, code, message] of cases) {
      const { problems, call } = await runCall({ [`${APP}/voice`]: twiml(body) });
      assert.equal(problems[0]?.code, code, body);
      assert.match(problems[0]!.message, message, body);
      assert.deepEqual(call.dials, [], `${body}: nothing dialed`);
    }
    const policy = parseCallbackPolicy('public', '').policy!;
    const refused = await runCall({ [`${APP}/voice`]: twiml('<Dial action="http://10.0.0.9/after">+14155550100</Dial>') }, { policy });
    assert.equal(refused.problems[0]!.code, 11100, 'an action the callback policy refuses is never requested');
  });

  it('a VoiceUrl that fails is reported and the VoiceFallbackUrl asked, with the error; both failing end the call', async () => {
    const record = { ...inbound, fallbackUrl: `${APP}/fallback` };
    const first: TwimlSource = { kind: 'request', url: `${APP}/voice`, method: 'GET', fallback: { url: `${APP}/fallback`, method: 'POST' }, params: {}, evenIfHungUp: false };
    const saved = await runCall({ [`${APP}/fallback`]: twiml('<Hangup/>') }, { record, first });
    assert.deepEqual(saved.problems.map((p) => p.code), [11200]);
    assert.deepEqual(saved.requests.map((r) => [r.method, r.url]), [['GET', `${APP}/voice`], ['POST', `${APP}/fallback`]]);
    assert.equal(saved.requests[1]!.params.ErrorCode, '11200');
    assert.equal(saved.requests[1]!.params.ErrorUrl, `${APP}/voice`);
    assert.deepEqual(saved.call.actions, ['hangUp']);
    const lost = await runCall({}, { record, first });
    assert.deepEqual(lost.problems.map((p) => p.code), [11200, 11200]);
    assert.deepEqual(lost.call.actions, ['hangUp']);
  });

  it('a redirect from the API stops the verb running and runs the new TwiML instead of the rest', async () => {
    const redirects = new CallRedirects();
    const { call, requests } = await runCall(
      {
        [`${APP}/voice`]: twiml('<Dial action="/after"><Sip>sip:agent@10.0.0.5</Sip></Dial><Pause length="9"/>'),
        [`${APP}/pay-step`]: twiml('<Pause length="2"/>'),
      },
      {
        redirects,
        dial: async (c) => {
          const signal = c.dials[0]!.options.signal!;
          assert.equal(signal.aborted, false);
          redirects.redirect({ kind: 'request', url: `${APP}/pay-step`, method: 'GET', fallback: null, params: {}, evenIfHungUp: false });
          assert.equal(signal.aborted, true, 'the dial is told to end');
          return { status: 'completed', childCallSid: 'CA' + 'f'.repeat(32), durationSeconds: 3 };
        },
      },
    );
    assert.deepEqual(requests.map((r) => [r.method, r.url]), [['POST', `${APP}/voice`], ['GET', `${APP}/pay-step`]], 'no action: the redirect wins');
    assert.deepEqual(call.clock.slept, [2000], 'the rest of the first document does not run');
    assert.deepEqual(call.actions, ['answer', 'dial sip:agent@10.0.0.5', 'hangUp']);
  });

  it("runs TwiML as the twilio package's VoiceResponse writes it", async () => {
    const voice = new twilio.twiml.VoiceResponse();
    const dialVerb = voice.dial({ action: '/after', timeout: 20, callerId: '+15550001111', record: 'do-not-record', answerOnBridge: true });
    dialVerb.sip({ statusCallback: '/leg', statusCallbackEvent: ['initiated', 'answered'] as never }, 'sip:agent@10.0.0.5');
    dialVerb.number('+14155550100');
    const after = new twilio.twiml.VoiceResponse();
    after.pause({ length: 2 });
    after.redirect({ method: 'GET' }, '/next');
    const next = new twilio.twiml.VoiceResponse();
    next.record({ maxLength: 10 });
    const { call, requests, problems } = await runCall({ [`${APP}/voice`]: voice.toString(), [`${APP}/after`]: after.toString(), [`${APP}/next`]: next.toString() });
    assert.deepEqual(call.dials[0]!.targets.map((t) => (t.kind === 'sip' ? t.uri : t.number)), ['sip:agent@10.0.0.5', '+14155550100']);
    assert.deepEqual(call.dials[0]!.targets[0]!.statusCallback, { url: `${APP}/leg`, method: 'POST', events: ['initiated', 'answered'] });
    assert.equal(call.dials[0]!.options.answerOnBridge, true);
    assert.deepEqual(requests.map((r) => [r.method, r.url]), [['POST', `${APP}/voice`], ['POST', `${APP}/after`], ['GET', `${APP}/next`]]);
    assert.deepEqual(call.clock.slept, [2000]);
    assert.match(problems[0]!.message, /does not run <Record> yet/, 'the verb not run yet is named');
  });
});
