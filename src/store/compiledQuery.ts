/**
 * Statements built once. Kysely builds and compiles a query each time it runs, which costs more than SQLite takes
 * to run a simple one; the statements every request or keypress makes are built once per database (a transaction
 * shares its database's), with named placeholders where the values go, and each run only fills the values in.
 *
 * @example
 *   const callBySid = builtOnce((db, p: Param<{ sid: string }>) => db.selectFrom('calls').selectAll().where('sid', '=', p('sid')));
 *   const { rows } = await callBySid.execute(db, { sid });
 */
import { type Compilable, type CompiledQuery, type DialectAdapter, type Kysely, type QueryResult, createQueryId } from 'kysely';
import type { Database } from './schema.js';

/** Stands for the value named `name` in a statement built once. */
export type Param<P> = <K extends keyof P & string>(name: K) => P[K];

export interface BuiltOnce<P, O> {
  execute(db: Kysely<Database>, values: P): Promise<QueryResult<O>>;
  /** The statement with its values, to run later (`writeTogether` in database.ts). */
  compile(db: Kysely<Database>, values: P): CompiledQuery<O>;
}

export function builtOnce<P, O>(build: (db: Kysely<Database>, param: Param<P>) => Compilable<O>): BuiltOnce<P, O> {
  // Keyed by the dialect's adapter: one per database, shared by its transactions.
  const byDatabase = new WeakMap<DialectAdapter, (values: P) => CompiledQuery<O>>();
  const statement = (db: Kysely<Database>, values: P): CompiledQuery<O> => {
    const adapter = db.getExecutor().adapter;
    let fill = byDatabase.get(adapter);
    if (!fill) {
      fill = compile(db, build);
      byDatabase.set(adapter, fill);
    }
    return fill(values);
  };
  return {
    execute: (db, values) => db.executeQuery(statement(db, values)),
    compile: statement,
  };
}

function compile<P, O>(db: Kysely<Database>, build: (db: Kysely<Database>, param: Param<P>) => Compilable<O>): (values: P) => CompiledQuery<O> {
  const names = new Map<unknown, keyof P>();
  const compiled = build(db, (name) => {
    // A fresh object is a value no caller can pass by chance, so it marks its place among the parameters.
    const placeholder = { placeholder: name };
    names.set(placeholder, name);
    return placeholder as never;
  }).compile();
  const placed = compiled.parameters.filter((value) => names.has(value)).length;
  if (placed !== names.size) throw new Error(`builtOnce: ${names.size - placed} placeholder(s) did not become parameters of: ${compiled.sql}`);
  return (values) => ({
    ...compiled,
    queryId: createQueryId(),
    parameters: compiled.parameters.map((value) => (names.has(value) ? values[names.get(value)!] : value)),
  });
}
