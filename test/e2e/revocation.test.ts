/**
 * Deleting an API key with the `paytone` command (another process) revokes it at once on every paytone process: the
 * next request with it is refused wherever it lands, an event stream it opened ends, and an event token it asked for
 * before opens nothing. On a cluster (PAYTONE_TEST_CLUSTER) each member is asked directly, so no process can answer
 * from what it remembered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_SID, AUTH_TOKEN, paytoneCli, startPaytone, type PaytoneProcess } from '../support/paytone.js';
import { createApiKey } from '../support/apiKey.js';
import { basicAuth, openEventStream } from '../support/sse.js';
import { until } from '../support/poll.js';
import type { PaytoneCluster } from '../support/paytoneCluster.js';

describe('revoking an API key', () => {
  let paytone: PaytoneProcess;
  before(async () => (paytone = await startPaytone()));
  after(async () => paytone?.stop());

  /** Each process on its own: the members of a cluster, or the one process. */
  const processes = (): PaytoneProcess[] => (paytone as Partial<PaytoneCluster>).members ?? [paytone];

  it('refuses the key at once on every process, ends its streams, and voids its event tokens', async () => {
    const [keySid, secret] = await createApiKey(paytone);
    const asKey: [string, string] = [keySid, secret];
    const account = `/2010-04-01/Accounts/${ACCOUNT_SID}.json`;
    const events = `/v1/Accounts/${ACCOUNT_SID}/Events`;
    for (const member of processes()) {
      // Twice: the second answer may come from what the process remembers of the first.
      assert.equal((await member.get(account, asKey)).status, 200);
      assert.equal((await member.get(account, asKey)).status, 200);
    }
    const first = processes()[0]!;
    const last = processes().at(-1)!;
    const issued = await first.post(`/v1/Accounts/${ACCOUNT_SID}/EventTokens.json`, {}, asKey);
    assert.equal(issued.status, 201);
    const byKey = await openEventStream(first.baseUrl + events, { authorization: basicAuth(keySid, secret) });
    const byToken = await openEventStream(`${last.baseUrl}${events}?Token=${encodeURIComponent(issued.body.token)}`);
    const byAuthToken = await openEventStream(first.baseUrl + events, { authorization: basicAuth(ACCOUNT_SID, AUTH_TOKEN) });
    assert.deepEqual([byKey.status, byToken.status, byAuthToken.status], [200, 200, 200]);

    assert.equal(paytoneCli(paytone, 'keys', 'delete', '--account', ACCOUNT_SID, keySid).deleted, true);

    for (const member of processes()) {
      const refused = await member.get(account, asKey);
      assert.equal(refused.status, 401, `${member.baseUrl} still takes the deleted key`);
      assert.equal(refused.body.code, 20003);
    }
    const reopened = await openEventStream(`${last.baseUrl}${events}?Token=${encodeURIComponent(issued.body.token)}`);
    assert.equal(reopened.status, 401, 'the token the key asked for opens nothing');
    // Bounded, not timed: the streams end once their process next checks the credentials of its streams.
    await until('the streams of the deleted key to end', async () => {
      const ended = await Promise.race([Promise.all([byKey.ended, byToken.ended]).then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 50))]);
      return ended;
    });

    // What happens next reaches the stream opened with the account's auth token, and no stream of the deleted key.
    const client = paytone.client();
    const call = await client.calls.create({ to: '+15551230501', from: '+15559870501' });
    await byAuthToken.next((e) => e.data.call_sid === call.sid);
    assert.ok(![...byKey.events, ...byToken.events].some((e) => e.data.call_sid === call.sid));
    byAuthToken.close();
  });
});
