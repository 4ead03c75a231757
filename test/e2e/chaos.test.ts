/**
 * The crash test at a size the suite can afford: about a hundred sessions of every kind (card charges, one the gateway is slow to answer, a decline,
 * tokenizing, ACH, agent cancels, callers pressing star) while the server is killed with SIGKILL and restarted
 * every few seconds. `npm run chaos` runs the same with more sessions and kills and prints the figures.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { brokenPromises, runChaos } from '../chaos/chaos.js';

const EXPECTED_ENDING: Record<string, string> = {
  visa: 'completed:success',
  mastercard: 'completed:success',
  amex: 'completed:success',
  slow: 'completed:success',
  tokenize: 'completed:success',
  ach: 'completed:success',
  declined: 'failed:payment-connector-error',
  cancel: 'canceled:',
  star: 'canceled:caller-interrupted-with-star',
};

describe('kill -9 at random moments', () => {
  it('loses no acknowledged session, no callback, and never charges twice', async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 2 ** 31);
    const figures = await runChaos({ sessions: 100, concurrency: 8, killEveryMs: [1500, 4000], seed });
    const where = `seed ${seed}: ${JSON.stringify({ ...figures, leaks: figures.leaks.slice(0, 5) })}`;

    assert.ok(figures.kills >= 2, `the run was killed ${figures.kills} times; ${where}`);
    assert.equal(figures.acknowledged, figures.sessions, where);
    for (const [outcome, count] of Object.entries(figures.outcomes)) {
      const [kind, ...ending] = outcome.split(':');
      assert.equal(ending.join(':'), EXPECTED_ENDING[kind!], `${count} ${kind} sessions ended ${ending.join(':')}; ${where}`);
    }
    assert.deepEqual(brokenPromises(figures), Object.fromEntries(Object.keys(brokenPromises(figures)).map((k) => [k, []])), where);
    assert.equal(figures.callbacksReceived, figures.callbacksExpected, where);
    const reachedGateway = Object.entries(figures.outcomes)
      .filter(([outcome]) => outcome.includes(':completed:') || outcome.includes(':failed:'))
      .reduce((sum, [, count]) => sum + count, 0);
    assert.equal(figures.gatewayTransactions, reachedGateway, `one gateway transaction per session that reached the gateway; ${where}`);
  });
});
