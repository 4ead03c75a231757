/**
 * Readiness and the scrape-time metrics on PostgreSQL: a current database is ready, one that lacks a migration
 * (a newer build's schema not applied yet) is not and says what to run, and the counts come back as numbers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HealthChecks } from '../../src/ops/health.js';
import { PaytoneMetrics } from '../../src/ops/metrics.js';
import { migrationStatus, openDatabase, type Db } from '../../src/store/database.js';
import { outboxBacklog, sessionCountsByStatus } from '../../src/store/stats.js';
import { tempDataDir } from '../support/paytone.js';
import { postgresForTests, type ScratchDatabase } from '../support/postgres.js';

const pg = await postgresForTests();

describe('operations on PostgreSQL', { skip: pg.skip ?? false }, () => {
  let scratch: ScratchDatabase;
  let db: Db;
  before(async () => {
    scratch = await pg.createDatabase();
    db = await openDatabase({ dataDir: tempDataDir(), databaseUrl: scratch.url, migrations: 'auto' });
  });
  after(async () => {
    await db?.destroy();
    await scratch?.drop();
  });

  it('reads sessions by status and the outbox as numbers', async () => {
    const now = 1_790_000_000_000;
    for (const [sid, status] of [['PK' + '1'.repeat(32), 'completed'], ['PK' + '2'.repeat(32), 'completed'], ['PK' + '3'.repeat(32), 'in-progress']] as const) {
      await db
        .insertInto('payment_sessions')
        .values({ sid, account_sid: 'AC' + 'a'.repeat(32), call_sid: 'CA' + 'b'.repeat(32), status, state: '{}', sealed_secrets: null, deadline: null, date_created: now, date_updated: now } as never)
        .execute();
    }
    await db
      .insertInto('session_events')
      .values({ session_sid: 'PK' + '3'.repeat(32), seq: 1, account_sid: 'AC' + 'a'.repeat(32), call_sid: 'CA' + 'b'.repeat(32), kind: 'started', params: '{}', url: 'http://127.0.0.1:9/pay', at: now - 5000, delivery_status: 'pending', attempts: 0 } as never)
      .execute();
    assert.deepEqual((await sessionCountsByStatus(db)).sort((a, b) => a.status.localeCompare(b.status)), [
      { status: 'completed', count: 2 },
      { status: 'in-progress', count: 1 },
    ]);
    assert.deepEqual(await outboxBacklog(db), { pending: 1, oldestAt: now - 5000 });

    const metrics = new PaytoneMetrics({ sources: { sessionsByStatus: () => sessionCountsByStatus(db), outboxBacklog: () => outboxBacklog(db) }, now: () => now });
    const text = await metrics.registry.metrics();
    assert.match(text, /^paytone_sessions\{status="completed"\} 2$/m);
    assert.match(text, /^paytone_outbox_depth 1$/m);
    assert.match(text, /^paytone_outbox_oldest_pending_seconds 5$/m);
  });

  it('is ready when current, and not ready (naming the command) when a migration is missing', async () => {
    const health = new HealthChecks({ migrationStatus: () => migrationStatus(db) });
    assert.equal((await health.readiness()).ready, true);
    await scratch.query(`DELETE FROM kysely_migration WHERE name = '0001_initial'`);
    const { ready, body } = await health.readiness();
    assert.equal(ready, false);
    assert.deepEqual(body.migrations?.pending, ['0001_initial']);
    assert.match(body.reason!, /run `paytone migrate`/);
  });
});
