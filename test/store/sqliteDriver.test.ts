/**
 * The embedded database's driver: concurrent transactions share commits and fsyncs but stay all-or-nothing one by
 * one, nothing resolves before another process could read it, and what a query acknowledged survives the process
 * being killed (-9) right after.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Kysely, sql } from 'kysely';
import SQLite from 'better-sqlite3';
import { DATABASE_FILE, type Db, openDatabase, writeTogether } from '../../src/store/database.js';
import { GroupCommitSqliteDialect } from '../../src/store/sqliteDriver.js';
import type { Database } from '../../src/store/schema.js';

const DATABASE_MODULE = fileURLToPath(new URL('../../src/store/database.js', import.meta.url));
const opened: Db[] = [];
after(async () => Promise.all(opened.map((db) => db.destroy())));

async function open(dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-driver-'))): Promise<{ db: Db; dataDir: string }> {
  const db = await openDatabase({ dataDir });
  opened.push(db);
  await sql`create table if not exists notes (id integer primary key, body text not null)`.execute(db);
  return { db, dataDir };
}

const bodies = async (db: Db) => (await sql<{ body: string }>`select body from notes order by id`.execute(db)).rows.map((r) => r.body);

test('concurrent transactions all land, and one that fails leaves nothing of itself', async () => {
  const { db } = await open();
  const results = await Promise.allSettled(
    Array.from({ length: 40 }, (_, i) =>
      db.transaction().execute(async (trx) => {
        await sql`insert into notes (body) values (${`first of ${i}`})`.execute(trx);
        if (i === 7) throw new Error('this one changes its mind');
        await sql`insert into notes (body) values (${`second of ${i}`})`.execute(trx);
      }),
    ),
  );
  assert.deepEqual(
    results.map((r) => r.status),
    Array.from({ length: 40 }, (_, i) => (i === 7 ? 'rejected' : 'fulfilled')),
  );
  const stored = await bodies(db);
  assert.equal(stored.length, 78);
  assert.ok(!stored.includes('first of 7'));
  assert.ok(stored.includes('first of 8') && stored.includes('second of 8'));
});

test('a transaction or a write resolves only once another connection can read it', async () => {
  const { db, dataDir } = await open();
  const other = new SQLite(path.join(dataDir, DATABASE_FILE), { readonly: true });
  after(() => other.close());
  const visibleToOther = (body: string) => other.prepare('select count(*) as n from notes where body = ?').get(body) as { n: number };
  const seen = await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      const body = `change ${i}`;
      if (i % 3 === 0) await sql`insert into notes (body) values (${body})`.execute(db);
      else await db.transaction().execute(async (trx) => sql`insert into notes (body) values (${body})`.execute(trx));
      return visibleToOther(body).n;
    }),
  );
  assert.deepEqual(seen, Array.from({ length: 30 }, () => 1));
});

test('a write refused by a constraint fails alone: the writes beside it in the same turn are kept', async () => {
  const { db } = await open();
  await sql`create table unique_notes (body text primary key)`.execute(db);
  await sql`insert into unique_notes (body) values ('taken')`.execute(db);
  const results = await Promise.allSettled(['one', 'taken', 'two'].map((body) => sql`insert into unique_notes (body) values (${body})`.execute(db)));
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  const rows = (await sql<{ body: string }>`select body from unique_notes order by body`.execute(db)).rows.map((r) => r.body);
  assert.deepEqual(rows, ['one', 'taken', 'two']);
});

test('statements written together land together or not at all, between the transactions of the same turn', async () => {
  const { db, dataDir } = await open();
  const other = new SQLite(path.join(dataDir, DATABASE_FILE), { readonly: true });
  after(() => other.close());
  await sql`create table unique_notes (body text primary key)`.execute(db);
  const note = (body: string) => db.insertInto('notes' as never).values({ body } as never).compile();
  const uniqueNote = (body: string) => db.insertInto('unique_notes' as never).values({ body } as never).compile();
  // A transaction that holds the connection across an await: the sets written meanwhile must not run inside it.
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  const transaction = db.transaction().execute(async (trx) => {
    await sql`insert into notes (body) values ('held 1')`.execute(trx);
    holding();
    await new Promise((resolve) => setImmediate(resolve));
    await sql`insert into notes (body) values ('held 2')`.execute(trx);
    throw new Error('the held transaction changes its mind');
  });
  await held;
  const results = await Promise.allSettled([
    transaction,
    writeTogether(db, [note('set A 1'), uniqueNote('same'), note('set A 2')]),
    writeTogether(db, [note('set B 1'), uniqueNote('same'), note('set B 2')]),
    writeTogether(db, [note('set C alone')]),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'fulfilled', 'rejected', 'fulfilled'],
  );
  // Each statement's result, in order: the insert ids run on from one to the next.
  const [, setA] = results;
  const ids = (setA as PromiseFulfilledResult<Array<{ insertId?: bigint }>>).value.map((r) => r.insertId);
  assert.equal(ids.length, 3);
  assert.equal(ids[2], ids[0]! + 1n);
  // Once the sets have resolved, another connection reads them: they are committed, not merely written.
  const seen = (other.prepare('select body from notes order by id').all() as Array<{ body: string }>).map((r) => r.body);
  assert.deepEqual([...seen].sort(), ['set A 1', 'set A 2', 'set C alone']);
  assert.deepEqual(await bodies(db), seen);
});

test('the same statement run again with other values reads and writes what it is given', async () => {
  const { db } = await open();
  for (const body of ['a', 'b', 'c']) await sql`insert into notes (body) values (${body})`.execute(db);
  const one = async (body: string) => (await sql<{ n: number }>`select count(*) as n from notes where body = ${body}`.execute(db)).rows[0]!.n;
  assert.deepEqual([await one('a'), await one('b'), await one('z')], [1, 1, 0]);
});

test('what was acknowledged survives kill -9 right after', async () => {
  const { dataDir } = await open();
  const writer = `
    import { openDatabase } from ${JSON.stringify(DATABASE_MODULE)};
    import { sql } from 'kysely';
import SQLite from 'better-sqlite3';
    const db = await openDatabase({ dataDir: ${JSON.stringify(dataDir)} });
    await Promise.all(Array.from({ length: 25 }, (_, i) => sql\`insert into notes (body) values (\${'acknowledged ' + i})\`.execute(db)));
    process.kill(process.pid, 'SIGKILL');
  `;
  assert.throws(() => execFileSync(process.execPath, ['--input-type=module', '-e', writer], { cwd: path.dirname(DATABASE_MODULE), stdio: 'pipe' }), /SIGKILL|signal/);
  const reopened = await openDatabase({ dataDir });
  opened.push(reopened);
  assert.equal((await bodies(reopened)).filter((b) => b.startsWith('acknowledged ')).length, 25);
});

/** What each run writes: an amount of work, not a time, so a busy machine makes the test slower and nothing else. */
const WAL_TEST_BYTES = 64 * 1024 * 1024;

/**
 * Writes a steady stream (a batch every turn, never a quiet moment) of WAL_TEST_BYTES through a driver whose
 * checkpointer passes every `intervalMs` and has the WAL start over at 64 frames, with SQLite's own automatic
 * checkpoint off, and returns the WAL file's largest size.
 */
async function walSizeUnderSteadyWrites(intervalMs: number): Promise<{ walBytes: number; written: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-wal-'));
  const file = path.join(dataDir, DATABASE_FILE);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('wal_autocheckpoint = 0');
  const db = new Kysely<Database>({ dialect: new GroupCommitSqliteDialect({ database: sqlite, file, checkpoints: { restartFrames: 64, intervalMs } }) });
  try {
    await sql`create table notes (id integer primary key, body text not null)`.execute(db);
    const body = 'x'.repeat(3000);
    let walBytes = 0;
    let written = 0;
    while (written < WAL_TEST_BYTES) {
      await Promise.all(Array.from({ length: 20 }, () => db.transaction().execute(async (trx) => sql`insert into notes (body) values (${body})`.execute(trx))));
      written += 20 * body.length;
      walBytes = Math.max(walBytes, fs.statSync(`${file}-wal`).size);
    }
    return { walBytes, written };
  } finally {
    await db.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

test('under steady writes the WAL starts over once it is long, without the event loop checkpointing it', async () => {
  const bounded = await walSizeUnderSteadyWrites(10);
  // The control: a checkpointer that never makes a pass, so nothing starts the WAL over.
  const unchecked = await walSizeUnderSteadyWrites(2 ** 30);
  assert.ok(unchecked.walBytes > unchecked.written / 2, `without passes the WAL stayed at ${unchecked.walBytes} bytes of ${unchecked.written} written`);
  // 64 frames is 256 KB; the WAL runs on while a pass is copying, so it ends up a few times that: 2-7 MB here, more
  // the longer a busy machine keeps the checkpointer's thread waiting, against about 100 MB without passes.
  assert.ok(bounded.walBytes < unchecked.walBytes / 8, `the WAL grew to ${bounded.walBytes} bytes, against ${unchecked.walBytes} without passes`);
});
