/**
 * The sandbox caller's pace: keys reach the call one interval apart from the first, the way a person types,
 * however long the server took over the key before. A slow key must not push every later key of that caller back
 * (callers held back together would then press their next keys together). Keys that are due at the same moment
 * reach the session together, in one change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SandboxTelephony } from '../../src/telephony/sandboxCalls.js';
import type { CallProgress } from '../../src/app/callProgress.js';
import type { CallRecord } from '../../src/domain/callView.js';
import { callRecord } from '../support/callRecords.js';
import type { Logger } from '../../src/log.js';
import { KEYPAD_PAUSE_MS } from '../../src/store/keypresses.js';

const INTERVAL_MS = 1000;
const START = 1_763_750_000_000;

const call: CallRecord = callRecord({ twiml: '<Response/>', dateCreated: START, dateUpdated: START, startTime: START, answerTime: START });

const quietLog = { error() {}, warn() {}, info() {}, debug() {} } as unknown as Logger;

/**
 * A keypad on a virtual clock: sleeping moves the clock on, and the server spends `serverMs` on every key. Returns
 * when each key reached the call (ms after the start), and how many keys were still queued at each of them.
 */
function keypad(serverMs: number, intervalMs = INTERVAL_MS) {
  let clock = START;
  const played: Array<{ key: string; at: number; queued: number; pressed: number[]; waiting: boolean[] }> = [];
  const telephony: SandboxTelephony = new SandboxTelephony({
    progress: {} as CallProgress,
    dtmfIntervalMs: intervalMs,
    log: quietLog,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    caller: {
      async keypress(_callSid, key, pressedAt) {
        // What a deadline would learn now: is a key pressed by 1 s, 2 s ... 6 s after the start still on its way?
        const waiting = await Promise.all([1, 2, 3, 4, 5, 6].map((s) => telephony.pressedBy(call.sid, START + s * 1000)));
        played.push({ key, at: clock - START, queued: await telephony.queuedKeys(call.sid), pressed: pressedAt.map((t) => t - START), waiting });
        clock += serverMs;
      },
      async hangup() {},
    },
  });
  return {
    telephony,
    played,
    advance: (ms: number) => (clock += ms),
  };
}

describe('sandbox keypad pace', () => {
  it('plays keys one interval apart from the first, whatever the server spent on each', async () => {
    const { telephony, played } = keypad(700);
    await telephony.pressKeys(call, '4242');
    await telephony.settle();
    assert.deepEqual(
      played.map((p) => [p.key, p.at]),
      [
        ['4', 0],
        ['2', 1000],
        ['4', 2000],
        ['2', 3000],
      ],
    );
  });

  it('plays the next key at once when the server took longer than an interval, without pressing the rest early', async () => {
    const { telephony, played } = keypad(1500);
    await telephony.pressKeys(call, '123');
    await telephony.settle();
    assert.deepEqual(
      played.map((p) => p.at),
      [0, 1500, 3000],
    );
  });

  it('counts a key the caller is about to press as queued, and adds half a second for each w', async () => {
    const { telephony, played } = keypad(0);
    await telephony.pressKeys(call, '1w2#');
    await telephony.settle();
    assert.deepEqual(
      played.map((p) => [p.key, p.at, p.queued]),
      [
        ['1', 0, 3],
        ['2', INTERVAL_MS + KEYPAD_PAUSE_MS, 2],
        ['#', 2 * INTERVAL_MS + KEYPAD_PAUSE_MS, 1],
      ],
    );
  });

  it('starts digits sent later an interval after the last key, or at once after a longer pause', async () => {
    const { telephony, played, advance } = keypad(0);
    await telephony.pressKeys(call, '1');
    await telephony.settle();
    advance(200);
    await telephony.pressKeys(call, '2');
    await telephony.settle();
    advance(5000);
    await telephony.pressKeys(call, '3');
    await telephony.settle();
    assert.deepEqual(
      played.map((p) => p.at),
      [0, INTERVAL_MS, INTERVAL_MS + 5000],
    );
  });

  it('hands the keys that fell due while the server was busy to the session together, in order', async () => {
    const { telephony, played } = keypad(2500);
    await telephony.pressKeys(call, '12345');
    await telephony.settle();
    assert.deepEqual(
      played.map((p) => [p.key, p.at, p.queued]),
      [
        ['1', 0, 5],
        ['23', 2500, 4],
        ['45', 5000, 2],
      ],
    );
  });

  it('tells the session when each key was pressed, and which keys pressed by a given time are still on their way', async () => {
    const { telephony, played } = keypad(2500);
    await telephony.pressKeys(call, '12345');
    await telephony.settle();
    const [, second, third] = played;
    assert.deepEqual(second!.pressed, [1000, 2000], 'the caller pressed them before the server got to them');
    // While 2 and 3 (pressed at 1 s and 2 s) are being played, keys pressed by 1 s on are on their way; then 4 and 5.
    assert.deepEqual(second!.waiting, [true, true, true, true, true, true]);
    assert.deepEqual(third!.pressed, [3000, 4000]);
    assert.deepEqual(third!.waiting, [false, false, true, true, true, true]);
    assert.equal(await telephony.pressedBy(call.sid, START + 60_000), false, 'nothing is waiting once every key was played');
  });

  it('plays a machine-paced entry as one change up to each pause, and a long one in pieces of 32 keys', async () => {
    const { telephony, played } = keypad(0, 0);
    const number = '4242424242424242';
    await telephony.pressKeys(call, `${number}#w123`);
    await telephony.settle();
    assert.deepEqual(
      played.map((p) => [p.key, p.at]),
      [
        [`${number}#`, 0],
        ['123', KEYPAD_PAUSE_MS],
      ],
    );
    played.length = 0;
    const long = '1234567890'.repeat(4);
    await telephony.pressKeys(call, long);
    await telephony.settle();
    assert.deepEqual(
      played.map((p) => p.key),
      [long.slice(0, 32), long.slice(32)],
    );
  });
});
