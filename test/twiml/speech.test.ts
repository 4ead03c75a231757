/**
 * What paytone says: `<Say>`, `<Play>` and `<Pause>` as verbs over a fake call and clock (what the call does, what
 * its live feed is told, which problems are reported), and the speech handle a `<Gather>` or a `<Prompt>` uses:
 * stopped at once by a key (barge-in), done when every noun was spoken.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import twilio from 'twilio';
import { ANY_CALLBACK } from '../../src/domain/callbackPolicy.js';
import { readSpokenNouns, sayingMs, speak, type CallVoice, type SpokenNoun } from '../../src/twiml/speech.js';
import { readTwiml } from '../../src/twiml/document.js';
import { fakeCall, MISSING_FILE } from '../support/fakeCall.js';
import { APP, assertRefused, runCall, twiml } from '../support/twimlRun.js';

describe('<Say>, <Play> and <Pause>', () => {
  it("says VoiceResponse's <Say> with its voice, language and loop, and narrates each time to the live feed", async () => {
    const response = new twilio.twiml.VoiceResponse();
    response.say({ voice: 'woman', language: 'en-GB', loop: 2 }, 'Welcome to Example Utilities.');
    response.pause({ length: 1 });
    response.play({}, `${APP}/goodbye.wav`);
    const { call, problems, narrated } = await runCall({ [`${APP}/voice`]: response.toString() });
    assert.deepEqual(problems, []);
    assert.deepEqual(call.actions, ['answer', 'say Welcome to Example Utilities.', 'say Welcome to Example Utilities.', `play ${APP}/goodbye.wav`, 'hangUp']);
    assert.deepEqual(narrated, ['said Welcome to Example Utilities.', 'said Welcome to Example Utilities.', `played ${APP}/goodbye.wav`]);
    const saying = sayingMs('Welcome to Example Utilities.');
    assert.deepEqual(call.clock.slept, [saying, saying, 1000, 3000], 'each noun takes its time, in order');
  });

  it("every <Say> of a document, <Gather>'s too, is got ready before the first is said", async () => {
    const { call } = await runCall({ [`${APP}/voice`]: twiml('<Say>One</Say><Gather><Say>Two</Say><Play>/three.wav</Play></Gather><Say>Four</Say>') }, {
      setUp: (c) => Object.assign(c.control.voice, { prepare: (say: { text: string }) => c.actions.push(`prepare ${say.text}`) }),
    });
    assert.deepEqual(call.actions.slice(0, 5), ['prepare One', 'prepare Two', 'prepare Four', 'answer', 'say One']);
  });

  it('a <Play> that cannot be fetched is a notification, and the call goes on', async () => {
    const { call, problems } = await runCall({ [`${APP}/voice`]: twiml(`<Play loop="3">${MISSING_FILE}</Play><Say>Still here</Say>`) });
    assert.deepEqual(call.actions, ['answer', 'say Still here', 'hangUp']);
    assert.equal(problems.length, 1, 'one notification, not one per loop');
    assert.equal(problems[0]!.code, 11200);
  });

  it('bad <Say>, <Play>, <Pause> and <Gather> attributes end the call with Twilio\'s code, before anything is said', async () => {
    await assertRefused([
      ['<Gather finishOnKey="##"/>', 13310],
      ['<Gather numDigits="0"/>', 13314],
      ['<Gather timeout="soon"/>', 13313],
      ['<Gather><Dial>+14155550100</Dial></Gather>', 13320],
      ['<Gather input="speech"/>', 12200],
      ['<Gather method="PUT"/>', 12200],
      ['<Gather colour="red"/>', 12200],
      ['<Gather><Say loop="x">Hi</Say></Gather>', 13510],
      ['<Say></Say>', 13520],
      ['<Say loop="twice">Hi</Say>', 13510],
      ['<Say language="english please">Hi</Say>', 13511],
      ['<Say voice="a voice">Hi</Say>', 12200],
      ['<Play loop="-1">https://app.example/a.wav</Play>', 13610],
      ['<Play/>', 11100],
      ['<Play digits="1234"/>', 12200],
      ['<Pause length="soon"/>', 13910],
    ]);
  });

  it('SSML inside <Say> is said for its words; loop="0" repeats until the caller hangs up', async () => {
    const { call } = await runCall({ [`${APP}/voice`]: twiml('<Say>Your balance is <prosody rate="slow">ten dollars</prosody>.</Say>') });
    assert.deepEqual(call.actions, ['answer', 'say Your balance is ten dollars.', 'hangUp']);
    const forever = fakeCall();
    let said = 0;
    forever.control.voice.say = async () => {
      if (++said === 5) forever.hangUpFarEnd();
    };
    const nouns = read('<Response><Gather><Say loop="0">Press 1</Say></Gather></Response>');
    const { stopped } = await speak(nouns, runOn(forever)).done;
    assert.equal(said, 5);
    assert.equal(stopped, true);
  });
});

describe('speak', () => {
  it('with bargeIn, a key cuts the noun being spoken short and skips the rest; stop() does the same', async () => {
    for (const how of ['key', 'stop()'] as const) {
      const call = fakeCall();
      const heard: string[] = [];
      const voice: CallVoice = {
        say: (say, signal) =>
          new Promise((resolve) => {
            heard.push(say.text);
            signal.addEventListener('abort', () => resolve(), { once: true });
          }),
        play: async () => null,
      };
      Object.assign(call.control, { voice });
      const speech = speak(read('<Response><Gather><Say>For sales press 1</Say><Say>For billing press 2</Say></Gather></Response>'), runOn(call), { bargeIn: true });
      await new Promise((resolve) => setImmediate(resolve));
      if (how === 'key') call.press('5');
      else speech.stop();
      assert.deepEqual(await speech.done, { stopped: true }, how);
      assert.deepEqual(heard, ['For sales press 1'], `${how}: the second prompt is never started`);
    }
  });

  it('done says not stopped when every noun was spoken; nested verbs other than Say, Play, Pause are refused', async () => {
    const call = fakeCall();
    assert.deepEqual(await speak(read('<Response><Gather><Say>One</Say><Pause length="2"/></Gather></Response>'), runOn(call)).done, { stopped: false });
    assert.deepEqual(call.clock.slept, [sayingMs('One'), 2000]);
    const gather = readTwiml('<Response><Gather><Dial>+14155550100</Dial></Gather></Response>');
    assert.ok(gather.ok);
    const refused = readSpokenNouns(gather.verbs[0]!.children, 'Gather', { documentUrl: APP, policy: ANY_CALLBACK }, 13320);
    assert.ok(!refused.ok && refused.problem.code === 13320 && /<Dial> is not allowed/.test(refused.problem.message));
  });
});

function read(document: string): SpokenNoun[] {
  const parsed = readTwiml(document);
  assert.ok(parsed.ok);
  const nouns = readSpokenNouns(parsed.verbs[0]!.children, 'Gather', { documentUrl: APP, policy: ANY_CALLBACK });
  assert.ok(nouns.ok);
  return nouns.value;
}

function runOn(call: ReturnType<typeof fakeCall>) {
  return { control: call.control, clock: call.clock, stop: call.control.hungUp, narrate: async () => undefined, notify: async () => undefined, keyPressed: (listener: () => void) => call.keys(() => listener()) };
}
