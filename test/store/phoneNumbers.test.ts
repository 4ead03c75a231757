/**
 * The number store on the embedded SQLite database and on PostgreSQL (when a server answers): a number routes
 * to one account over the whole installation, reads are scoped to their account, and updates keep what they do
 * not name.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openDatabase, type Db } from '../../src/store/database.js';
import { PhoneNumberStore } from '../../src/store/phoneNumbers.js';
import { newPhoneNumber } from '../../src/domain/phoneNumbers.js';
import { newSid } from '../../src/domain/sids.js';
import { tempDataDir } from '../support/paytone.js';
import { postgresForTests, type ScratchDatabase } from '../support/postgres.js';

const AC = 'AC' + 'a'.repeat(32);
const OTHER = 'AC' + 'b'.repeat(32);

const pg = await postgresForTests();
const scratches: ScratchDatabase[] = [];
after(async () => Promise.all(scratches.map((s) => s.drop())));

const dialects: Array<[string, () => Promise<Db>, string | false]> = [
  ['SQLite', () => openDatabase({ dataDir: tempDataDir() }), false],
  [
    'PostgreSQL',
    async () => {
      const scratch = await pg.createDatabase();
      scratches.push(scratch);
      return openDatabase({ dataDir: tempDataDir(), databaseUrl: scratch.url, migrations: 'auto' });
    },
    pg.skip ?? false,
  ],
];

const number = (accountSid: string, phoneNumber: string, now = 1_000) =>
  newPhoneNumber({ sid: newSid('PN'), accountSid, phoneNumber, settings: { voiceUrl: 'https://app.example/voice', voiceCallerIdLookup: true }, now });

for (const [name, open, skip] of dialects) {
  describe(`PhoneNumberStore on ${name}`, { skip }, () => {
    it('keeps a number for one account only and finds it by the number an INVITE names', async () => {
      const db = await open();
      try {
        const store = new PhoneNumberStore(db);
        const mine = number(AC, '+15551230001');
        assert.equal(await store.insert(mine), true);
        assert.equal(await store.insert(number(OTHER, '+15551230001')), false, 'another account cannot take it');
        assert.equal(await store.insert(number(AC, '+15551230001')), false, 'nor can the same account twice');
        assert.deepEqual(await store.findByNumber('+15551230001'), mine);
        assert.equal(await store.findByNumber('+15551230002'), null);
        assert.deepEqual(await store.get(AC, mine.sid), mine);
        assert.equal(await store.get(OTHER, mine.sid), null, 'another account does not see it');
        assert.equal((await store.get(AC, mine.sid))!.voiceCallerIdLookup, true);
      } finally {
        await db.destroy();
      }
    });

    it('updates only what it names, lists newest first, and deletes within the account', async () => {
      const db = await open();
      try {
        const store = new PhoneNumberStore(db);
        const older = number(AC, '+15551230011', 1_000);
        const newer = number(AC, '+15551230012', 2_000);
        await store.insert(older);
        await store.insert(newer);
        await store.insert(number(OTHER, '+15551230013', 3_000));
        const updated = await store.update(AC, older.sid, { voiceMethod: 'GET', voiceUrl: null }, 5_000);
        assert.deepEqual(updated, { ...older, voiceMethod: 'GET', voiceUrl: null, dateUpdated: 5_000 });
        assert.equal(await store.update(OTHER, older.sid, { voiceMethod: 'GET' }, 6_000), null);
        assert.deepEqual((await store.list(AC, { limit: 10, offset: 0 })).map((n) => n.sid), [newer.sid, older.sid]);
        assert.deepEqual((await store.list(AC, { phoneNumber: '+15551230012', limit: 10, offset: 0 })).map((n) => n.sid), [newer.sid]);
        assert.equal(await store.remove(OTHER, older.sid), false);
        assert.equal(await store.remove(AC, older.sid), true);
        assert.equal(await store.findByNumber('+15551230011'), null);
        assert.equal(await store.insert(number(OTHER, '+15551230011')), true, 'a deleted number can be registered again');
      } finally {
        await db.destroy();
      }
    });
  });
}
