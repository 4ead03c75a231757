/**
 * A cluster's keypad queue leaves no typed card number readable in PostgreSQL: not in the rows, not in the dead
 * tuples that the played (deleted) keys and their leases leave on the table's pages, and not in the WAL that
 * recorded them. Two processes share a fresh database; a caller types two card numbers on the sandbox keypad (one in
 * one request, one key per request, so that both processes queue keys), every key is played, and then:
 *
 * - every page of `sandbox_keypresses`, read whole with `pageinspect` (live tuples, dead ones, and the bytes of
 *   pruned ones still in the free space);
 * - the WAL segments written meanwhile (`pg_read_binary_file`, which needs a superuser; skipped otherwise).
 *
 * A queued key stored in clear is the call's SID followed by a one-character text value; the keys so found must not
 * spell a card number. Both searches see the calls' rows (asserted), so they fail when the keys are stored in clear.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_SID, AUTH_TOKEN } from '../support/paytone.js';
import { startPaytoneCluster, type PaytoneCluster } from '../support/paytoneCluster.js';
import { postgresForTests } from '../support/postgres.js';
import { until } from '../support/poll.js';
import { startReceiver, type CallbackReceiver } from '../support/receiver.js';

const API = `/2010-04-01/Accounts/${ACCOUNT_SID}`;
const CARDS = { oneRequest: '4242424242424242', keyByKey: '5555555555554444' };
const KEYPAD = /^[0-9*#]$/;

const pg = await postgresForTests();

let cluster: PaytoneCluster;
let receiver: CallbackReceiver;
let walStart = '';
const typed: Array<{ callSid: string; card: string }> = [];

/** Whether `digits` holds `card`'s digits in order (others may come between). */
function spells(digits: string, card: string): boolean {
  let at = 0;
  for (const digit of digits) if (digit === card[at]) at++;
  return at === card.length;
}

/**
 * Searches bytes of PostgreSQL's (pages or WAL records) for each typed card number as the keypad queue would hold
 * it: a row per key, the call's SID followed by the key as a one-character text value (header byte 0x05) among the
 * columns after it. The keys so found after each SID, in the order met, must not hold the card's digits in order.
 * The bytes must name the calls, once per queued key at least for the call typed last (earlier rows may have been
 * overwritten), so that a search that sees nothing cannot pass.
 */
function searchFor(bytes: Buffer, where: string): void {
  const seen: number[] = [];
  for (const { callSid, card } of typed) {
    const sid = Buffer.from(callSid, 'latin1');
    let keys = '';
    let named = 0;
    for (let at = bytes.indexOf(sid); at >= 0; at = bytes.indexOf(sid, at + 1)) {
      named++;
      const rest = bytes.subarray(at + sid.length, at + sid.length + 64);
      for (let i = 0; i + 1 < rest.length; i++) if (rest[i] === 0x05 && KEYPAD.test(String.fromCharCode(rest[i + 1]!))) keys += String.fromCharCode(rest[i + 1]!);
    }
    seen.push(named);
    assert.ok(!spells(keys, card), `${where} spells the card number typed on ${callSid}`);
  }
  assert.ok(seen.at(-1)! >= CARDS.keyByKey.length + 1, `${where} holds the queued keys of the last call (${seen.join(', ')} times named)`);
}

describe('the keypad queue on PostgreSQL', { skip: pg.skip ?? false }, () => {
  before(async () => {
    receiver = await startReceiver(AUTH_TOKEN);
    cluster = await startPaytoneCluster({ size: 2, env: { PAYTONE_DTMF_INTERVAL_MS: '20' } });
    // Dead tuples stay on their pages for the search, as they do between vacuums on a busy server.
    await cluster.database.query('ALTER TABLE sandbox_keypresses SET (autovacuum_enabled = off)');
    await cluster.database.query('CREATE EXTENSION IF NOT EXISTS pageinspect');
    walStart = (await cluster.database.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))[0]!.lsn;

    for (const [how, card] of Object.entries(CARDS)) {
      const call = (await cluster.post(`${API}/Calls.json`, { To: '+15551230500', From: '+15559870500', Url: `${receiver.url}/voice` })).body as { sid: string };
      const payment = (await cluster.post(`${API}/Calls/${call.sid}/Payments.json`, { IdempotencyKey: `leak-${how}`, StatusCallback: `${receiver.url}/pay`, ChargeAmount: '1.00' })).body as { sid: string };
      const path = `${API}/Calls/${call.sid}/Payments/${payment.sid}.json`;
      assert.equal((await cluster.post(path, { IdempotencyKey: `leak-${how}-card`, StatusCallback: `${receiver.url}/pay`, Capture: 'payment-card-number' })).status, 202);
      if (how === 'oneRequest') await cluster.press(call.sid, `${card}#`);
      else for (const key of `${card}#`) await cluster.press(call.sid, key);
      await until(`the card number typed ${how} to end`, async () =>
        receiver.forSession(payment.sid).some((r) => r.params.Capture === 'payment-card-number' && r.params.PartialResult === 'false'),
      );
      const ended = receiver.forSession(payment.sid).find((r) => r.params.PartialResult === 'false')!;
      assert.equal(ended.params.PaymentCardNumber, `xxxx-xxxx-xxxx-${card.slice(-4)}`, `every key typed ${how} was played`);
      typed.push({ callSid: call.sid, card });
    }
    // The `#` after the sixteenth digit changes nothing and may still be on its way out when the field's end is heard.
    await until('every key to be played and leave the queue', async () => {
      const left = await cluster.database.query<{ n: string }>('SELECT count(*) AS n FROM sandbox_keypresses');
      return Number(left[0]!.n) === 0;
    });
  });

  after(async () => {
    await cluster?.stop();
    await receiver?.close();
  });

  it('leaves no typed card number on the pages of the keypad table, dead tuples included (pageinspect)', async () => {
    const blocks = Number((await cluster.database.query<{ n: string }>(`SELECT pg_relation_size('sandbox_keypresses') / current_setting('block_size')::int AS n`))[0]!.n);
    const pages = await cluster.database.query<{ bytes: Buffer }>(`SELECT get_raw_page('sandbox_keypresses', block) AS bytes FROM generate_series(0, $1::int - 1) AS block`, [blocks]);
    searchFor(Buffer.concat(pages.map((p) => p.bytes)), 'the keypad table');
  });

  it('leaves no typed card number in the WAL written meanwhile', async (t) => {
    const superuser = (await cluster.database.query<{ on: boolean }>(`SELECT rolsuper AS on FROM pg_roles WHERE rolname = current_user`))[0]!.on;
    if (!superuser) return t.skip('reading the WAL files takes a superuser');
    const [end] = await cluster.database.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const segments = await cluster.database.query<{ name: string }>(
      `SELECT DISTINCT name FROM pg_ls_waldir() WHERE name >= pg_walfile_name($1::pg_lsn) AND name <= pg_walfile_name($2::pg_lsn) ORDER BY name`,
      [walStart, end!.lsn],
    );
    assert.ok(segments.length > 0, 'the WAL segments of the run are there');
    const wal = Buffer.concat(
      await Promise.all(segments.map(async ({ name }) => (await cluster.database.query<{ bytes: Buffer }>(`SELECT pg_read_binary_file('pg_wal/' || $1) AS bytes`, [name]))[0]!.bytes)),
    );
    searchFor(wal, 'the WAL');
  });
});
