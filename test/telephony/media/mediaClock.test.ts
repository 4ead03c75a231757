/**
 * The media clock's beat, on a clock the test moves: one tick per 20 ms that fell due; after a stall, at most five
 * ticks at once, the beats beyond them skipped and each stream told how many, and the beat still on its grid; the
 * metrics see each beat's lateness and the skipped beats.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { MediaClock } from '../../../src/telephony/media/mediaClock.js';
import { MediaClockMetrics } from '../../../src/ops/mediaMetrics.js';
import { until } from '../../support/poll.js';

const MS = 1_000_000n;

test('a stall longer than the catch-up skips the beats beyond it, and the beat stays on its 20 ms grid', async () => {
  let now = 0n;
  const registry = new Registry();
  const clock = new MediaClock(() => now, new MediaClockMetrics(registry));
  const seen: string[] = [];
  const stream = { tick: () => seen.push('tick'), skip: (frames: number) => seen.push(`skip ${frames}`) };
  clock.add(stream);
  now = 20n * MS;
  await until('the first beat', async () => seen.length === 1);
  // 12 beats fall due at once (40 ms to 260 ms): five are sent, seven skipped.
  now = 260n * MS;
  await until('the beats after the stall', async () => seen.length === 7);
  assert.deepEqual(seen, ['tick', 'skip 7', 'tick', 'tick', 'tick', 'tick', 'tick']);
  // The next beat is due at 280 ms, on the grid: not 20 ms after the late wake-up.
  now = 279n * MS;
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(seen.length, 7);
  now = 280n * MS;
  await until('the beat at 280 ms', async () => seen.length === 8);
  clock.delete(stream);
  assert.equal(clock.size, 0);
  const text = await registry.metrics();
  assert.match(text, /paytone_media_skipped_beats_total 7/);
  assert.match(text, /paytone_media_beat_lateness_seconds_count 3/);
  // The beat after the stall woke up 220 ms late; the others on time.
  assert.match(text, /paytone_media_beat_lateness_seconds_bucket\{le="0.1"\} 2/);
  assert.match(text, /paytone_media_beat_lateness_seconds_bucket\{le="0.5"\} 3/);
});

test('a beat that fell due is sent at once when the receive path polls, before its timer fires', () => {
  let now = 0n;
  const clock = new MediaClock(() => now);
  let ticks = 0;
  const stream = { tick: () => ticks++ };
  clock.add(stream);
  clock.poll();
  assert.equal(ticks, 0, 'not before its deadline');
  now = 20n * MS;
  clock.poll();
  assert.equal(ticks, 1);
  clock.poll();
  assert.equal(ticks, 1, 'once per beat');
  clock.delete(stream);
});

test('streams beat on four phases 5 ms apart, each stream every 20 ms, a new one on the phase with the fewest', (t) => {
  let now = 0n;
  const clock = new MediaClock(() => now);
  const ticks: string[] = [];
  const stream = (name: string) => ({ tick: () => ticks.push(name) });
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map(stream);
  const f = stream('f');
  for (const s of [a, b, c, d, e]) clock.add(s!);
  t.after(() => [a, b, c, d, e, f].forEach((s) => clock.delete(s!)));
  const at = (ms: bigint, expected: string[]) => {
    now = ms * MS;
    clock.poll();
    assert.deepEqual(ticks.splice(0), expected, `at ${ms} ms`);
  };
  // a and e share the first phase (20 ms); b, c and d beat 5, 10 and 15 ms after it.
  at(19n, []);
  at(20n, ['a', 'e']);
  at(25n, ['b']);
  at(30n, ['c']);
  at(35n, ['d']);
  at(40n, ['a', 'e']);
  at(45n, ['b']);
  at(50n, ['c']);
  // d's phase is left empty and keeps no beat; the next stream added takes it, on its grid (75 ms, not 55).
  clock.delete(d!);
  at(55n, []);
  clock.add(f);
  at(60n, ['a', 'e']);
  at(70n, ['b', 'c']);
  at(75n, ['f']);
  // After a wake-up 15 ms late every phase that fell due beats once, in phase order.
  at(95n, ['a', 'e', 'b', 'c', 'f']);
  at(99n, []);
  assert.equal(clock.size, 5);
});
