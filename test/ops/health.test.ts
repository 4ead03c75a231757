import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { HealthChecks } from '../../src/ops/health.js';
import { migrationStatus, openDatabase, type Db } from '../../src/store/database.js';
import type { Database } from '../../src/store/schema.js';

const opened: Db[] = [];
after(async () => Promise.all(opened.map((db) => db.destroy().catch(() => undefined))));
const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-health-'));

test('a migrated database is ready', async () => {
  const db = await openDatabase({ dataDir: tempDir() });
  opened.push(db);
  const health = new HealthChecks({ migrationStatus: () => migrationStatus(db) });
  const { ready, body } = await health.readiness();
  assert.equal(ready, true);
  assert.deepEqual(body, { status: 'ready', database: 'ok', migrations: { applied: (await migrationStatus(db)).applied.length, pending: [] } });
});

test('a database without paytone\'s migrations is not ready, and says which migrations are missing', async () => {
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SQLite(path.join(tempDir(), 'empty.db')) }) });
  opened.push(db);
  const health = new HealthChecks({ migrationStatus: () => migrationStatus(db) });
  const { ready, body } = await health.readiness();
  assert.equal(ready, false);
  assert.equal(body.status, 'unavailable');
  assert.equal(body.database, 'ok');
  assert.ok(body.migrations!.pending.includes('0001_initial'));
  assert.match(body.reason!, /lacks migrations 0001_initial.*run `paytone migrate`/);
});

test('an unreachable or silent database is not ready', async () => {
  const db = await openDatabase({ dataDir: tempDir() });
  await db.destroy();
  const closed = await new HealthChecks({ migrationStatus: () => migrationStatus(db) }).readiness();
  assert.deepEqual(closed, { ready: false, body: { status: 'unavailable', database: 'unreachable', migrations: null, reason: 'the database could not be reached' } });

  const silent = new HealthChecks({ migrationStatus: () => new Promise(() => {}), timeoutMs: 50 });
  assert.equal((await silent.readiness()).body.reason, 'the database did not answer within 50 ms');
});

test('a draining process is not ready, whatever the database says', async () => {
  const health = new HealthChecks({ migrationStatus: async () => ({ applied: ['0001_initial'], pending: [] }) });
  assert.equal((await health.readiness()).ready, true);
  health.beginDraining();
  assert.deepEqual((await health.readiness()).body.status, 'draining');
});
