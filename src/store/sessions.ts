/**
 * Pay sessions, their events (the callback outbox) and idempotency records.
 *
 * PCI rule: a session's secrets (captured values, the digits being typed) are sealed by the vault before they
 * are written; the `state` column holds everything else. Once a session ends its secrets are gone from the
 * state, and the sealed column is set to null (secure_delete zeroes the old page content).
 */
import type { CompiledQuery } from 'kysely';
import { dialectOf, type Db } from './database.js';
import type { LockedRead } from './cluster.js';
import {
  deliveryStatusOf,
  insertEvent,
  insertEventsTogether,
  insertSession,
  selectIdempotency,
  selectSession,
  selectUnfinishedOfCall,
  updateSession,
  updateSessionState,
  upsertIdempotency,
  type SessionChange,
  UNFINISHED,
} from './sessionStatements.js';
import type { Vault } from '../vault/vault.js';
import type { FieldAsked, Session, SessionEvent, SessionStatus } from '../domain/types.js';
import { nextDeadline } from '../domain/session.js';
import { sessionLiveEvents, type LiveEvent } from '../domain/liveEvents.js';
import { writeWithFeed, type AlongWith } from './liveEvents.js';

interface SessionSecrets {
  values: Session['values'];
  captureDigits: string;
}

export interface IdempotencyRecord {
  accountSid: string;
  scope: string;
  key: string;
  fingerprint: string;
  sessionSid: string;
  operation: number;
  statusCode: number;
  body: string;
}

export interface StoredEvent extends SessionEvent {
  sessionSid: string;
  deliveryStatus: string;
  attempts: number;
  lastAttemptAt: number | null;
  lastResponseCode: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
}

/** Writes that must commit together with a session change, or not at all (a sandbox keypress leaving its queue). */
export type { AlongWith };

export class SessionStore {
  constructor(
    private readonly db: Db,
    private readonly vault: Vault,
    /** The cluster member this process is: it is named as the gateway caller of the sessions it completes. */
    private readonly memberId: string | null = null,
  ) {}

  private seal(session: Session): { state: string; sealed: string | null } {
    const secrets: SessionSecrets = { values: session.values, captureDigits: session.capture?.digits ?? '' };
    const hasSecrets = Object.keys(secrets.values).length > 0 || secrets.captureDigits !== '';
    const bare: Session = {
      ...session,
      values: {},
      capture: session.capture ? { ...session.capture, digits: '' } : null,
    };
    return {
      state: JSON.stringify(bare),
      sealed: hasSecrets ? this.vault.seal(JSON.stringify(secrets), session.sid) : null,
    };
  }

  private unseal(state: string, sealed: string | null): Session {
    const session = JSON.parse(state) as Session;
    if (sealed === null) return session;
    const secrets = JSON.parse(this.vault.unseal(sealed, session.sid)) as SessionSecrets;
    return {
      ...session,
      values: secrets.values,
      capture: session.capture ? { ...session.capture, digits: secrets.captureDigits } : null,
    };
  }

  /**
   * Writes a session, the events it emitted and (optionally) the idempotency record of the request that
   * caused them, all or nothing. `storedStatus` is the status of the stored row, null for a new session; `asked`,
   * the field the change has just asked for, goes to the live feed only. Returns the live events, numbered by the feed.
   */
  async commit(session: Session, events: SessionEvent[], idempotency: IdempotencyRecord | null, storedStatus: SessionStatus | null, alongWith?: AlongWith, asked: FieldAsked | null = null): Promise<LiveEvent[]> {
    return writeWithFeed(this.db, this.changeStatements(session, events, idempotency, storedStatus), sessionLiveEvents(session, events, asked), alongWith);
  }

  private changeStatements(session: Session, events: SessionEvent[], idempotency: IdempotencyRecord | null, storedStatus: SessionStatus | null): CompiledQuery[] {
    const statements: CompiledQuery[] = [this.sessionStatement(session, storedStatus)];
    const together = events.length > 1 && dialectOf(this.db) === 'postgres';
    if (together) statements.push(insertEventsTogether({ session_sid: session.sid, account_sid: session.accountSid, call_sid: session.callSid }, events));
    for (const event of together ? [] : events) {
      statements.push(
        insertEvent.compile(this.db, {
          session_sid: session.sid,
          seq: event.seq,
          account_sid: session.accountSid,
          call_sid: session.callSid,
          kind: event.kind,
          params: JSON.stringify(event.params),
          url: event.url,
          at: event.at,
          delivery_status: deliveryStatusOf(event),
          attempts: 0,
          next_attempt_at: event.at,
          method: null,
        }),
      );
    }
    if (idempotency) {
      statements.push(
        upsertIdempotency.compile(this.db, {
          account_sid: idempotency.accountSid,
          scope: idempotency.scope,
          idempotency_key: idempotency.key,
          fingerprint: idempotency.fingerprint,
          session_sid: idempotency.sessionSid,
          operation: idempotency.operation,
          status_code: idempotency.statusCode,
          body: idempotency.body,
          created_at: session.dateUpdated,
        }),
      );
    }
    return statements;
  }

  private sessionStatement(session: Session, storedStatus: SessionStatus | null): CompiledQuery {
    const { state, sealed } = this.seal(session);
    const kept = { state, sealed_secrets: sealed, deadline: nextDeadline(session), date_updated: session.dateUpdated };
    // Outside `completing` the gateway caller is null before and after, so a kept status leaves both columns as stored.
    if (storedStatus === session.status && session.status !== 'completing') return updateSessionState.compile(this.db, { ...kept, sid: session.sid });
    const change: SessionChange = { ...kept, status: session.status, gateway_owner: session.status === 'completing' ? this.memberId : null };
    if (storedStatus === null) {
      return insertSession.compile(this.db, { ...change, sid: session.sid, account_sid: session.accountSid, call_sid: session.callSid, date_created: session.dateCreated });
    }
    return updateSession.compile(this.db, { ...change, sid: session.sid });
  }

  /**
   * Names this process as the gateway caller of a completing session, if its caller is still `expectedOwner`:
   * false when another process took it over first.
   */
  async takeOverGateway(sid: string, expectedOwner: string | null): Promise<boolean> {
    const result = await this.db
      .updateTable('payment_sessions')
      .set({ gateway_owner: this.memberId })
      .where('sid', '=', sid)
      .where('status', '=', 'completing')
      .where((eb) => (expectedOwner === null ? eb('gateway_owner', 'is', null) : eb('gateway_owner', '=', expectedOwner)))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async get(sid: string): Promise<Session | null> {
    const [row] = (await selectSession.execute(this.db, { sid })).rows;
    return row ? this.unseal(row.state, row.sealed_secrets) : null;
  }

  /** The session as stored, read under its lock in the round trip that takes it (`AdvisoryLocks.runReading`). */
  lockedRead(sid: string): LockedRead<Session | null> {
    return {
      text: (literal) => `SELECT state, sealed_secrets FROM payment_sessions WHERE sid = ${literal(sid)}`,
      parse: (rows) => {
        const row = rows[0] as { state: string; sealed_secrets: string | null } | undefined;
        return row ? this.unseal(row.state, row.sealed_secrets) : null;
      },
    };
  }

  /** The sids of the call's sessions, newest first. */
  async sidsOfCall(accountSid: string, callSid: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('payment_sessions')
      .select('sid')
      .where('account_sid', '=', accountSid)
      .where('call_sid', '=', callSid)
      .orderBy('date_created', 'desc')
      .orderBy('sid', 'desc')
      .execute();
    return rows.map((r) => r.sid);
  }

  /** The call's session that has not ended yet, if any. */
  async unfinishedSidOfCall(callSid: string): Promise<string | null> {
    const [row] = (await selectUnfinishedOfCall.execute(this.db, { callSid })).rows;
    return row?.sid ?? null;
  }

  /** Every session that has not ended: after a restart their timers and gateway calls are resumed. */
  async unfinishedSids(): Promise<string[]> {
    const rows = await this.db.selectFrom('payment_sessions').select('sid').where('status', 'in', UNFINISHED).execute();
    return rows.map((r) => r.sid);
  }

  async findIdempotency(accountSid: string, scope: string, key: string, fingerprint: string): Promise<IdempotencyRecord | null> {
    const [row] = (await selectIdempotency.execute(this.db, { account_sid: accountSid, scope, idempotency_key: key, fingerprint })).rows;
    if (!row) return null;
    return {
      accountSid: row.account_sid,
      scope: row.scope,
      key: row.idempotency_key,
      fingerprint: row.fingerprint,
      sessionSid: row.session_sid,
      operation: Number(row.operation),
      statusCode: Number(row.status_code),
      body: row.body,
    };
  }

  async events(sessionSid: string): Promise<StoredEvent[]> {
    const rows = await this.db.selectFrom('session_events').selectAll().where('session_sid', '=', sessionSid).orderBy('seq').execute();
    return rows.map((row) => ({
      sessionSid: row.session_sid,
      seq: Number(row.seq),
      kind: row.kind as SessionEvent['kind'],
      params: JSON.parse(row.params) as Record<string, string>,
      url: row.url,
      at: Number(row.at),
      deliveryStatus: row.delivery_status,
      attempts: Number(row.attempts),
      lastAttemptAt: row.last_attempt_at === null ? null : Number(row.last_attempt_at),
      lastResponseCode: row.last_response_code === null ? null : Number(row.last_response_code),
      lastError: row.last_error,
      nextAttemptAt: row.next_attempt_at === null ? null : Number(row.next_attempt_at),
    }));
  }
}
