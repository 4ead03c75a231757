/**
 * A change on PostgreSQL in one round trip: every statement of a commit (the session row, its events, the
 * idempotency record, a keypress leaving its queue) and the feed's rows and notices go as one statement, each as a
 * data-modifying `with` clause. A single statement is a transaction of its own, so no BEGIN and COMMIT travel
 * either: where a commit took 8 round trips (a keypress: BEGIN, delete, update, insert, the feed's lock, insert,
 * notice, COMMIT), it takes one, and it holds the feed's lock (store/liveEvents.ts) only while it runs and commits.
 *
 * The clauses see one snapshot, so no two of them may touch the same row, and none may read what another wrote;
 * a commit's statements never do (they write different tables). An `along` statement must change exactly the rows
 * it names, or the whole statement fails and nothing is written: the check is a cast of the refusal message to an
 * integer, which PostgreSQL can only answer with an error that names the message (through `concat`, which is not
 * immutable, so that the planner does not try the cast before the statement runs).
 *
 * @example
 *   const live = await writeAtOnce(db, [updateSession, insertEvent], events, { statement: consumeKeys, rows: 2, refused: 'keys were played' });
 */
import { CompiledQuery } from 'kysely';
import type { Db } from './database.js';
import { feedWrites, numbered } from './liveEvents.js';
import type { LiveEvent, NewLiveEvent } from '../domain/liveEvents.js';

/** Writes that must commit together with a change, or not at all (a sandbox keypress leaving its queue). */
export interface AlongWith {
  statement: CompiledQuery;
  /** The rows it must change; any other number refuses the whole change. */
  rows: number;
  /** The error's message when it does not (never a secret: it may reach a log). */
  refused: string;
  /** Set once the change it went with has committed. */
  committed?: boolean;
}

/** Renumbers a statement's `$n` placeholders to follow the `offset` parameters before it. */
function shifted(statement: CompiledQuery, offset: number): string {
  return statement.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
}

export async function writeAtOnce(db: Db, statements: CompiledQuery[], events: NewLiveEvent[], along?: AlongWith): Promise<LiveEvent[]> {
  const clauses: string[] = [];
  const parameters: unknown[] = [];
  const add = (name: string, statement: CompiledQuery, suffix = '') => {
    clauses.push(`${name} as (${shifted(statement, parameters.length)}${suffix})`);
    parameters.push(...statement.parameters);
  };
  if (along) add('along', along.statement, ' returning 1');
  statements.forEach((statement, i) => add(`s${i}`, statement));
  if (events.length > 0) {
    const feed = feedWrites(events, parameters.length + 1);
    clauses.push(feed.sql);
    parameters.push(...feed.parameters);
  }
  const outputs = [events.length > 0 ? 'array(select id from feed) as ids' : 'null as ids'];
  if (along) {
    parameters.push(along.rows, along.refused);
    outputs.push(`(select case when count(*) = $${parameters.length - 1} then 0 else concat($${parameters.length}::text)::int end from along) as along_ok`);
  }
  let ids: Array<number | string> | null;
  try {
    const { rows } = await db.executeQuery<{ ids: Array<number | string> | null }>(CompiledQuery.raw(`with ${clauses.join(',\n')}\nselect ${outputs.join(', ')}`, parameters));
    ids = rows[0]!.ids;
  } catch (err) {
    if (along && err instanceof Error && err.message.includes(along.refused)) throw new Error(along.refused);
    throw err;
  }
  if (along) along.committed = true;
  return numbered(events, (ids ?? []).map((id) => ({ id })));
}
