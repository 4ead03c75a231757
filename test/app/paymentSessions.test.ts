/**
 * A field's deadline and the caller's keys still on their way: a key pressed before the deadline counts however far
 * behind the server is, so the deadline waits for it; once nothing pressed before it is waiting, the deadline acts.
 * On a fake clock, with the session store and the keypad's queue faked.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it, mock } from 'node:test';
import { PaymentSessions } from '../../src/app/paymentSessions.js';
import type { SessionStore } from '../../src/store/sessions.js';
import type { Session, SessionEvent } from '../../src/domain/types.js';
import type { Logger } from '../../src/log.js';
import { cardSettings, CALLBACK, RULES } from '../domain/sessionDriver.js';

const START = Date.UTC(2025, 5, 15, 12, 0, 0);
const SID = 'PK' + '1'.repeat(32);
const CALL = 'CA' + '2'.repeat(32);
const quietLog = { error() {}, warn() {}, info() {}, debug() {} } as unknown as Logger;

/** Lets the promises a fired timer started run to their end. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

let clock = START;
let waiting: number[] = [];
const committed: SessionEvent[] = [];

function sessions(): PaymentSessions {
  const stored = new Map<string, Session>();
  const store = {
    async get(sid: string) {
      return stored.get(sid) ?? null;
    },
    async commit(session: Session, events: SessionEvent[]) {
      stored.set(session.sid, session);
      committed.push(...events);
      return [];
    },
  } as unknown as SessionStore;
  return new PaymentSessions({
    store,
    outbox: { committed() {} },
    connectors: { find: async () => null },
    rules: RULES,
    log: quietLog,
    now: () => clock,
    // The keypad's queue: when each key still on its way was pressed.
    waitingKeys: { pressedBy: async (_callSid, at) => waiting.some((pressed) => pressed <= at) },
  });
}

async function advance(ms: number): Promise<void> {
  clock += ms;
  mock.timers.tick(ms);
  await settle();
}

beforeEach(() => {
  clock = START;
  waiting = [];
  committed.length = 0;
  mock.timers.enable({ apis: ['setTimeout'] });
});
afterEach(() => mock.timers.reset());

async function typingCardNumber(pay: PaymentSessions): Promise<void> {
  const settings = cardSettings({ timeoutSeconds: 2 });
  await pay.open({ sid: SID, accountSid: 'AC' + '3'.repeat(32), callSid: CALL, settings, callbackUrl: CALLBACK }, { scope: 's', key: 'k', fingerprint: 'f', kind: 'create', statusCode: 201 }, () => '{}');
  await pay.apply(SID, { kind: 'capture', name: 'payment-card-number', callbackUrl: CALLBACK }, { key: { scope: 's', key: 'c', fingerprint: 'f', kind: 'capture', statusCode: 202 }, body: () => '{}' });
  await pay.apply(SID, { kind: 'keys', keys: '42', pressedAt: [START, START] });
}

const fieldEnds = () => committed.filter((e) => e.params.PartialResult === 'false');

it('waits past the deadline for a key pressed before it, and the key moves the field on', async () => {
  const pay = sessions();
  await typingCardNumber(pay);
  // The caller pressed a third key 1.5 s in; the server has not played it yet when the 2 s deadline comes.
  waiting = [START + 1_500];
  await advance(2_000);
  await advance(1_000);
  assert.deepEqual(fieldEnds(), [], 'the field is still open');

  waiting = [];
  await pay.apply(SID, { kind: 'keys', keys: '4', pressedAt: [START + 1_500] });
  assert.deepEqual(fieldEnds(), []);
  assert.equal((await pay.load(SID))!.capture?.deadline, START + 3_500, 'timed from the key, not from when it arrived');
  await advance(500);
  assert.equal(fieldEnds().length, 1, 'then its own deadline passes');
  assert.equal(fieldEnds()[0]!.params.ErrorType, 'invalid-card-number');
});

it('ends the field at its deadline when the only key waiting was pressed after it', async () => {
  const pay = sessions();
  await typingCardNumber(pay);
  waiting = [START + 2_500];
  await advance(2_000);
  assert.equal(fieldEnds().length, 1);
});

it('looks at a deadline again should the key it waited for never arrive', async () => {
  const pay = sessions();
  await typingCardNumber(pay);
  waiting = [START + 1_000];
  await advance(2_000);
  assert.deepEqual(fieldEnds(), []);
  // The key was dropped (its call could not take it): nothing pressed before the deadline is on its way any more.
  waiting = [];
  await advance(250);
  assert.equal(fieldEnds().length, 1);
});

it('keeps a capture asked in the same millisecond as the change before it, as <Pay> asks fields back to back', async () => {
  const pay = sessions();
  await pay.open({ sid: SID, accountSid: 'AC' + '3'.repeat(32), callSid: CALL, settings: cardSettings(), callbackUrl: '' }, null, null);
  const asked = await pay.apply(SID, { kind: 'capture', name: 'payment-card-number', callbackUrl: '' });
  assert.equal(asked.capture?.name, 'payment-card-number');
  assert.equal((await pay.load(SID))?.capture?.name, 'payment-card-number', 'the capture was kept, not taken for a change of nothing');
});
