/**
 * Looking a call up: the account that placed it sees it with its current status, whether the process remembers it
 * or reads it back after a restart; another account never does.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CallStore } from '../../src/store/calls.js';
import { type Db, openDatabase } from '../../src/store/database.js';
import type { CallRecord } from '../../src/domain/callView.js';
import { tempDataDir } from '../support/paytone.js';

const ACCOUNT = 'AC' + 'a'.repeat(32);
const OTHER_ACCOUNT = 'AC' + 'f'.repeat(32);

const placed = (sid: string): CallRecord => ({
  sid,
  accountSid: ACCOUNT,
  to: '+15551230000',
  from: '+15559870000',
  status: 'in-progress',
  direction: 'outbound-api',
  url: 'https://app.example.com/twiml',
  twiml: null,
  statusCallback: null,
  statusCallbackMethod: null,
  dateCreated: 1_763_750_000_000,
  dateUpdated: 1_763_750_000_000,
  startTime: 1_763_750_000_000,
  endTime: null,
});

describe('call lookups', () => {
  const opened: Db[] = [];
  after(async () => Promise.all(opened.map((db) => db.destroy())));

  for (const shared of [false, true]) {
    it(`${shared ? 'read from the database' : 'answered from memory'}: current status, own account only`, async () => {
      const dataDir = tempDataDir();
      const db = await openDatabase({ dataDir });
      opened.push(db);
      const calls = new CallStore(db, { shared });
      const call = placed('CA' + 'b'.repeat(32));
      await calls.insert(call);

      assert.deepEqual(await calls.get(ACCOUNT, call.sid), call);
      assert.equal(await calls.get(OTHER_ACCOUNT, call.sid), null, "another account's credentials never find the call");
      assert.equal(await calls.get(ACCOUNT, 'CA' + 'c'.repeat(32)), null);

      const { ended } = await calls.end(call, 'completed', 1_763_750_060_000);
      assert.deepEqual(await calls.get(ACCOUNT, call.sid), ended);
      assert.equal((await calls.get(ACCOUNT, call.sid))?.status, 'completed', 'a hung-up call is never seen in progress again');
      assert.deepEqual(await new CallStore(db, { shared }).get(ACCOUNT, call.sid), ended, 'a restarted process reads the same');
    });
  }
});
