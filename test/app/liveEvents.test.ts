import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InProcessLiveEventBus, LiveEventFeed } from '../../src/app/liveEvents.js';
import type { LiveEvent, LiveEventFilter } from '../../src/domain/liveEvents.js';
import { matchesFilter } from '../../src/domain/liveEvents.js';
import type { LiveEventStore } from '../../src/store/liveEvents.js';

const AC = 'AC' + 'a'.repeat(32);
const CA = 'CA' + '1'.repeat(32);
const CB = 'CA' + '2'.repeat(32);

const event = (id: number, callSid = CA, accountSid = AC): LiveEvent => ({
  id,
  accountSid,
  callSid,
  paymentSid: null,
  kind: 'call-status',
  params: { CallStatus: 'in-progress' },
  at: id,
});

/** A store whose reads can be held, so a test can commit events while a resume is reading. */
function storeOf(rows: LiveEvent[], beforeRead: () => Promise<void> = async () => {}): LiveEventStore {
  return {
    async since(accountSid: string, afterId: number, filter: LiveEventFilter, limit: number) {
      await beforeRead();
      return rows.filter((e) => e.accountSid === accountSid && e.id > afterId && matchesFilter(e, filter)).slice(0, limit);
    },
  } as LiveEventStore;
}

test('a resume sends what was missed, then what is committed meanwhile and after, each once and in order', async () => {
  const rows = [1, 2, 3, 4].map((id) => event(id));
  const bus = new InProcessLiveEventBus();
  let reads = 0;
  const feed = new LiveEventFeed(
    storeOf(rows, async () => {
      // While the resume reads, event 5 is committed (so the read sees it) and published.
      if (reads++ === 0) {
        rows.push(event(5));
        bus.publish([event(5)]);
      }
    }),
    bus,
  );
  const sent: number[] = [];
  const stop = await feed.open(AC, {}, 2, (e) => sent.push(e.id));
  bus.publish([event(6)]);
  assert.deepEqual(sent, [3, 4, 5, 6]);
  stop();
  bus.publish([event(7)]);
  assert.deepEqual(sent, [3, 4, 5, 6], 'nothing after stop');
});

test('without a last id only new events are sent; other accounts and filtered-out calls are not', async () => {
  const bus = new InProcessLiveEventBus();
  const feed = new LiveEventFeed(storeOf([event(1)]), bus);
  const sent: LiveEvent[] = [];
  const stop = await feed.open(AC, { callSid: CA }, null, (e) => sent.push(e));
  bus.publish([event(2, CB), event(3, CA, 'AC' + 'b'.repeat(32)), event(4)]);
  assert.deepEqual(sent.map((e) => e.id), [4]);
  stop();
});

test('a resume reads the store page by page until it is through', async () => {
  const rows = Array.from({ length: 1203 }, (_, i) => event(i + 1));
  const feed = new LiveEventFeed(storeOf(rows), new InProcessLiveEventBus());
  const sent: number[] = [];
  (await feed.open(AC, {}, 0, (e) => sent.push(e.id)))();
  assert.equal(sent.length, 1203);
  assert.equal(sent.at(-1), 1203);
});

test('a listener that throws does not keep the others from hearing', () => {
  const warnings: object[] = [];
  const bus = new InProcessLiveEventBus({ warn: (obj) => warnings.push(obj) });
  const heard: number[] = [];
  bus.subscribe(AC, () => {
    throw new Error('broken');
  });
  bus.subscribe(AC, (events) => heard.push(...events.map((e) => e.id)));
  bus.publish([event(1)]);
  assert.deepEqual(heard, [1]);
  assert.equal(warnings.length, 1);
});
