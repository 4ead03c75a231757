/**
 * `<Gather>` for keys over a fake call and clock: what ends input (numDigits, finishOnKey, the timeout), what is
 * posted to `action`, barge-in on the nested prompts, and what happens with no input (bad attributes:
 * speech.test.ts). The keys are pressed while a prompt plays, as a caller who knows the menu does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import twilio from 'twilio';
import type { FakeCall } from '../support/fakeCall.js';
import { APP, runCall, twiml } from '../support/twimlRun.js';

/** The caller presses `keys` as the prompt saying `when` starts (it is then cut short at once). */
function pressDuring(when: string, keys: string) {
  return (call: FakeCall) => {
    const say = call.control.voice.say.bind(call.control.voice);
    call.control.voice.say = async (noun, signal) => {
      if (noun.text === when) call.press(keys);
      await say(noun, signal);
    };
  };
}

describe('<Gather>', () => {
  it('reads numDigits keys typed over the prompt, stops the prompts, and posts Digits to action', async () => {
    const response = new twilio.twiml.VoiceResponse();
    const menu = response.gather({ numDigits: 4, action: '/pin', method: 'POST', timeout: 7 });
    menu.say('Enter your PIN.');
    menu.say('It is on your statement.');
    response.say('Goodbye.');
    const { call, requests, problems, narrated } = await runCall({ [`${APP}/voice`]: response.toString(), [`${APP}/pin`]: twiml('<Hangup/>') }, { setUp: pressDuring('Enter your PIN.', '1234') });
    assert.deepEqual(problems, []);
    assert.deepEqual(call.actions, ['answer', 'say Enter your PIN.', 'hangUp'], 'the second prompt and the verbs after <Gather> are not reached');
    assert.deepEqual(narrated, ['said Enter your PIN.']);
    assert.equal(requests[1]!.url, `${APP}/pin`);
    assert.equal(requests[1]!.params.Digits, '1234');
    assert.equal(requests[1]!.params.FinishedOnKey, '');
    assert.equal(requests[1]!.params.CallStatus, 'in-progress');
  });

  it('ends on finishOnKey (not part of Digits) and, by default, posts to the document\'s own URL', async () => {
    const { requests } = await runCall({ [`${APP}/voice`]: twiml('<Gather><Say>Account number, then hash.</Say></Gather>') }, { setUp: pressDuring('Account number, then hash.', '42#7') });
    assert.equal(requests[1]!.url, `${APP}/voice`);
    assert.equal(requests[1]!.method, 'POST');
    assert.deepEqual([requests[1]!.params.Digits, requests[1]!.params.FinishedOnKey], ['42', '#']);
    const star = await runCall({ [`${APP}/voice`]: twiml('<Gather finishOnKey="*" method="GET" action="/next"><Say>Go</Say></Gather>') }, { setUp: pressDuring('Go', '9#*') });
    assert.deepEqual([star.requests[1]!.method, star.requests[1]!.params.Digits, star.requests[1]!.params.FinishedOnKey], ['GET', '9#', '*']);
  });

  it('keys without a finishing key are posted when the timeout passes after the last one', async () => {
    const { call, requests } = await runCall({ [`${APP}/voice`]: twiml('<Gather timeout="3" finishOnKey="" action="/amount"><Say>Enter the amount.</Say></Gather>'), [`${APP}/amount`]: twiml('') }, { setUp: pressDuring('Enter the amount.', '250#') });
    assert.deepEqual([requests[1]!.params.Digits, requests[1]!.params.FinishedOnKey], ['250#', '']);
    assert.deepEqual(call.clock.slept, [3000], 'one timeout after the prompt was cut short');
  });

  it('with no key the document goes on after <Gather>; actionOnEmptyResult posts an empty Digits', async () => {
    const quiet = await runCall({ [`${APP}/voice`]: twiml('<Gather action="/menu"><Say>Press 1.</Say><Pause length="2"/></Gather><Say>We did not hear you.</Say>') });
    assert.deepEqual(quiet.call.actions, ['answer', 'say Press 1.', 'say We did not hear you.', 'hangUp']);
    assert.equal(quiet.requests.length, 1, 'action is not requested');
    assert.equal(quiet.call.clock.slept.at(-2), 5000, 'the default timeout, after the prompts');
    const empty = await runCall({ [`${APP}/voice`]: twiml('<Gather action="/menu" actionOnEmptyResult="true"/>'), [`${APP}/menu`]: twiml('') });
    assert.deepEqual([empty.requests[1]!.url, empty.requests[1]!.params.Digits], [`${APP}/menu`, '']);
  });

  it('a key during a <Pause> or <Play> inside it stops them too', async () => {
    const { call, requests } = await runCall({ [`${APP}/voice`]: twiml('<Gather numDigits="1" action="/menu"><Play>/menu.wav</Play><Say>Or hold.</Say></Gather>'), [`${APP}/menu`]: twiml('') }, {
      setUp: (c) => {
        c.control.voice.play = async (url, signal) => {
          c.actions.push(`play ${url}`);
          c.press('2');
          assert.ok(signal.aborted, 'the file stops at the key');
          return null;
        };
      },
    });
    assert.deepEqual(call.actions, ['answer', `play ${APP}/menu.wav`, 'hangUp']);
    assert.equal(requests[1]!.params.Digits, '2');
  });

});
