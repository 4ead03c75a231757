/**
 * How big each phase of a run is. `full` is `npm run bench`; `quick` (`-- --quick`) keeps every figure at full
 * size except the two timed windows, and finishes in under two minutes; `tiny` is for the smoke test.
 */
import type { CreateProfile } from './scenarios/create.js';
import type { SessionsProfile } from './scenarios/sessions.js';
import type { KeypressProfile } from './scenarios/keypress.js';
import type { MemoryProfile } from './scenarios/memory.js';

export interface BenchProfile {
  name: 'full' | 'quick' | 'tiny';
  create: CreateProfile;
  sessions: SessionsProfile;
  keypress: KeypressProfile;
  memory: MemoryProfile;
  /** Concurrent real calls to measure, one fresh paytone each, and the window each is measured over. */
  realCalls: { calls: number[]; seconds: number };
}

/**
 * The simulated caller: one keypress a second, a person reading the digits off a card (the keypad's own default,
 * 150 ms, is a machine's pace). 1,000 callers at this pace make 1,000 keypresses a second.
 */
export const HUMAN_KEYPAD_INTERVAL_MS = 1000;

export const PROFILES: Record<BenchProfile['name'], BenchProfile> = {
  full: {
    name: 'full',
    create: { concurrency: 32, count: 15_000, seconds: 15, warmup: 1000, warmupRounds: 10 },
    sessions: { concurrency: 64, count: 10_000, seconds: 30, warmup: 500, warmupRounds: 4 },
    keypress: { sessions: 1000, intervalMs: HUMAN_KEYPAD_INTERVAL_MS },
    memory: { sessions: 10_000 },
    realCalls: { calls: [200, 300, 400], seconds: 20 },
  },
  quick: {
    name: 'quick',
    create: { concurrency: 32, count: 5000, seconds: 4, warmup: 1000, warmupRounds: 8 },
    sessions: { concurrency: 64, count: 3000, seconds: 8, warmup: 300, warmupRounds: 4 },
    keypress: { sessions: 1000, intervalMs: HUMAN_KEYPAD_INTERVAL_MS },
    memory: { sessions: 10_000 },
    realCalls: { calls: [200], seconds: 10 },
  },
  tiny: {
    name: 'tiny',
    create: { concurrency: 4, count: 100, seconds: 2, warmup: 20, warmupRounds: 2 },
    sessions: { concurrency: 2, count: 4, seconds: 20, warmup: 2, warmupRounds: 1 },
    keypress: { sessions: 10, intervalMs: 100 },
    memory: { sessions: 150 },
    realCalls: { calls: [4], seconds: 3 },
  },
};
