/**
 * The call lifecycle the SIP side reports into, over a real embedded store: an inbound call takes its number's
 * settings, a child names its parent, moves reported together are applied in order, and an end reaches the call's
 * pay session and the outbox exactly once.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CallProgress, type NewCall } from '../../src/app/callProgress.js';
import { CallStore } from '../../src/store/calls.js';
import { PhoneNumberStore } from '../../src/store/phoneNumbers.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { newPhoneNumber } from '../../src/domain/phoneNumbers.js';
import type { CommittedCallback } from '../../src/callbacks/outbox.js';
import type { LiveEvent } from '../../src/domain/liveEvents.js';
import type { Logger } from '../../src/log.js';
import { tempDataDir } from '../support/paytone.js';

const AC = 'AC' + 'a'.repeat(32);
const PN = 'PN' + 'b'.repeat(32);
const quietLog = { error() {}, warn() {}, info() {}, debug() {} } as unknown as Logger;

describe('call progress', () => {
  const opened: Db[] = [];
  after(async () => Promise.all(opened.map((db) => db.destroy())));

  async function setUp() {
    const db = await openDatabase({ dataDir: tempDataDir() });
    opened.push(db);
    const calls = new CallStore(db, { shared: false });
    const phoneNumbers = new PhoneNumberStore(db);
    await phoneNumbers.insert(
      newPhoneNumber({
        sid: PN,
        accountSid: AC,
        phoneNumber: '+15551230001',
        settings: { voiceUrl: 'https://app.example/voice', voiceMethod: 'GET', statusCallback: 'https://app.example/status' },
        now: 1,
      }),
    );
    let clock = 10_000;
    const committed: Array<{ sid: string; callbacks: CommittedCallback[]; ended: boolean }> = [];
    const hungUp: string[] = [];
    const live: LiveEvent[] = [];
    const progress = new CallProgress({
      calls,
      phoneNumbers,
      outbox: { committed: (sid, _ac, callbacks, ended) => committed.push({ sid, callbacks: [...callbacks], ended }) },
      caller: { hangup: async (sid) => void hungUp.push(sid) },
      publish: (events) => live.push(...events),
      now: () => (clock += 1000),
      log: quietLog,
    });
    return { calls, progress, committed, hungUp, live };
  }

  it("an inbound call rings with its number's settings, and its end reaches the pay session and the StatusCallback once", async () => {
    const { calls, progress, committed, hungUp, live } = await setUp();
    const call = await progress.inbound({ accountSid: AC, to: '+15551230001', from: '+15559870002', phoneNumberSid: PN, sipCallId: 'a84b4c76e66710@10.0.0.1', sipSourceIp: '10.0.0.1' });
    assert.equal(call.status, 'ringing');
    assert.equal(call.direction, 'inbound');
    assert.equal(call.phoneNumberSid, PN);
    assert.equal(call.url, 'https://app.example/voice');
    assert.equal(call.method, 'GET');
    assert.equal(call.sipSourceIp, '10.0.0.1');

    await Promise.all([progress.answered(call.sid), progress.ended(call.sid, 'completed'), progress.ended(call.sid, 'completed')]);
    const ended = (await calls.getBySid(call.sid))!;
    assert.equal(ended.status, 'completed');
    assert.ok(ended.answerTime !== null && ended.endTime! > ended.answerTime, 'answered before it ended, as reported');
    assert.deepEqual(hungUp, [call.sid], 'the pay session hears the end once');
    assert.deepEqual(committed.map((c) => [c.callbacks.map((cb) => cb.params.CallStatus), c.ended]), [[['completed'], true]]);
    assert.equal(committed[0]!.callbacks[0]!.url, 'https://app.example/status');
    assert.deepEqual(live.map((e) => e.params.CallStatus), ['ringing', 'in-progress', 'completed']);
  });

  it('a child call is queued under its parent, in its account, with its own status callback', async () => {
    const { progress, committed } = await setUp();
    const parent = await progress.inbound({ accountSid: AC, to: '+15551230001', from: '+15559870002', phoneNumberSid: PN, sipCallId: 'x@y', sipSourceIp: '10.0.0.1' });
    const child = await progress.child({
      parentCallSid: parent.sid,
      to: 'sip:agent@10.0.0.5',
      from: '+15559870002',
      statusCallback: { url: 'https://app.example/agent-leg', method: 'POST', events: ['initiated', 'answered'] },
    });
    assert.equal(child.accountSid, AC);
    assert.equal(child.parentCallSid, parent.sid);
    assert.equal(child.direction, 'outbound-dial');
    assert.equal(child.status, 'queued');
    await progress.ringing(child.sid);
    await progress.answered(child.sid);
    assert.deepEqual(committed.map((c) => c.callbacks.map((cb) => [cb.params.CallStatus, cb.params.ParentCallSid])), [[['initiated', parent.sid]], [['in-progress', parent.sid]]]);
    await assert.rejects(progress.ringing('CA' + '0'.repeat(32)), /unknown/);
  });

  it("after a restart, the real calls left up end (their legs are gone), and sandbox calls stay", async () => {
    const { calls, progress, hungUp } = await setUp();
    const inbound = (sipCallId: string) => progress.inbound({ accountSid: AC, to: '+15551230001', from: '+15559870002', phoneNumberSid: PN, sipCallId, sipSourceIp: '10.0.0.1' });
    const ringing = await inbound('r@x');
    const answered = await inbound('a@x');
    await progress.answered(answered.sid);
    const common = { accountSid: AC, to: '+15551230009', from: '+15559870002', parentCallSid: null, phoneNumberSid: null, url: null, method: 'POST', fallbackUrl: null, fallbackMethod: 'POST', twiml: '<Response/>', statusCallback: null, statusCallbackMethod: 'POST', statusCallbackEvents: ['completed'], sipCallId: null, sipSourceIp: null } satisfies Partial<NewCall>;
    const dialing = await progress.place({ ...common, status: 'queued', direction: 'outbound-api', timeoutSeconds: 30 } as NewCall);
    const sandbox = await progress.place({ ...common, status: 'in-progress', direction: 'outbound-api', timeoutSeconds: null } as NewCall);

    assert.equal(await progress.endOrphans(), 3);
    assert.equal((await calls.getBySid(ringing.sid))!.status, 'failed');
    assert.equal((await calls.getBySid(answered.sid))!.status, 'completed');
    assert.equal((await calls.getBySid(dialing.sid))!.status, 'failed');
    assert.equal((await calls.getBySid(sandbox.sid))!.status, 'in-progress', 'a sandbox call has no legs to lose');
    assert.deepEqual([...hungUp].sort(), [ringing.sid, answered.sid, dialing.sid].sort(), 'their pay sessions hear the end');
    assert.equal(await progress.endOrphans(), 0);
  });
});
