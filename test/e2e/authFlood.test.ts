/**
 * A flood of wrong credentials: 3,000 requests with wrong secrets for a real API key SID, an unknown key SID and the
 * account SID, 32 at a time, from 127.0.0.2. paytone locks the source address and the SIDs after a few failures and
 * answers the rest 429 without hashing; the log gets a bounded number of lines; and the other clients, from
 * 127.0.0.1, stay served meanwhile: a key used for the first time (so checked with scrypt), a key proved before the
 * flood whose SID the attacker is using, and the auth token.
 *
 * Counts, not timings: how many answers of each status, how many log lines, and that every request of the other
 * clients succeeded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';
import { createApiKey } from '../support/apiKey.js';
import { basicAuth } from '../support/sse.js';

const FLOOD = 3000;
const AT_ONCE = 32;
const CALLS = `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`;
/** The defaults: PAYTONE_AUTH_LOCKOUT=10/30m per SID, PAYTONE_AUTH_ADDRESS_LOCKOUT=50/10m per address. */
const PER_SID = 10;
const PER_ADDRESS = 50;

describe('a flood of wrong credentials', () => {
  let paytone: PaytoneProcess;
  let attacker: Agent;
  before(async () => {
    paytone = await startPaytone({ env: { LOG_LEVEL: 'info' } });
    attacker = new Agent({ localAddress: '127.0.0.2', connections: AT_ONCE });
  });
  after(async () => {
    await attacker?.close();
    await paytone?.stop();
  });

  it('is answered 429 before any hashing, in a bounded number of log lines, while other clients stay served', async (t) => {
    const [victimSid, victimSecret] = await createApiKey(paytone);
    const [freshSid, freshSecret] = await createApiKey(paytone);
    // The victim's app signed in before the flood, so paytone has proved its secret once.
    assert.equal((await paytone.get(CALLS, [victimSid, victimSecret])).status, 200);
    const linesBefore = paytone.output().split('\n').length;

    const unknownSid = 'SK' + 'f'.repeat(32);
    const usernames = [victimSid, unknownSid, ACCOUNT_SID];
    const statuses: number[] = [];
    let sent = 0;
    const flood = async () => {
      while (sent < FLOOD) {
        const username = usernames[sent % usernames.length]!;
        sent += 1;
        const response = await request(paytone.baseUrl + CALLS, { dispatcher: attacker, headers: { authorization: basicAuth(username, '0'.repeat(32)) } });
        await response.body.text();
        statuses.push(response.statusCode);
      }
    };
    const others: number[] = [];
    const otherClients = async () => {
      // While the flood runs: a new key (its first check needs a hash), the victim's own app, and the auth token.
      while (statuses.length < FLOOD / 2) {
        for (const auth of [[freshSid, freshSecret], [victimSid, victimSecret], [ACCOUNT_SID, AUTH_TOKEN]] as Array<[string, string]>) {
          others.push((await paytone.post(CALLS, { To: '+15551230601', From: '+15559870601' }, auth)).status);
        }
      }
    };
    await Promise.all([...Array.from({ length: AT_ONCE }, flood), otherClients()]);

    const count = (status: number) => statuses.filter((s) => s === status).length;
    assert.equal(statuses.length, FLOOD);
    assert.equal(count(401) + count(429), FLOOD, 'every guess was refused');
    assert.ok(count(401) <= PER_ADDRESS, `at most ${PER_ADDRESS} guesses were checked (${count(401)})`);
    assert.ok(count(429) >= FLOOD - PER_ADDRESS, `the rest were turned away unchecked (${count(429)})`);
    assert.ok(others.length >= 3);
    assert.deepEqual([...new Set(others)], [201], 'every request of the other clients was served');

    const logged = paytone.output().split('\n').slice(linesBefore);
    const failureLines = logged.filter((line) => line.includes('"msg":"authentication failed"'));
    t.diagnostic(`flood: ${count(401)} x 401, ${count(429)} x 429; other clients: ${others.length} requests served; ${failureLines.length} failure lines`);
    assert.ok(failureLines.length >= 1 && failureLines.length <= 10, `a bounded number of failure lines (${failureLines.length})`);
    assert.ok(failureLines.every((line) => line.includes('"sourceIp":"127.0.0.2"') && !line.includes('0'.repeat(32))), failureLines.join('\n'));

    // After the flood: the address stays locked, and so do the SIDs it tried (an unknown one like a known one).
    const after = await request(paytone.baseUrl + CALLS, { dispatcher: attacker, headers: { authorization: basicAuth(victimSid, victimSecret) } });
    await after.body.text();
    assert.equal(after.statusCode, 200, 'a secret proved before is never throttled');
    const locked = await paytone.get(CALLS, [unknownSid, '1'.repeat(32)]);
    assert.equal(locked.status, 429);
    assert.equal(locked.body.code, 20429);
    assert.match(locked.body.message, new RegExp(`too many failed sign-ins with ${unknownSid}`));
  });

  it(`locks a SID after ${PER_SID} failures from any address`, async () => {
    const sid = 'SK' + 'e'.repeat(32);
    const answers: number[] = [];
    for (let i = 0; i < PER_SID + 2; i += 1) answers.push((await paytone.get(CALLS, [sid, '2'.repeat(32)])).status);
    assert.deepEqual(answers, [...Array(PER_SID).fill(401), 429, 429]);
  });
});
