// Queries on the hot path (authentication, reading a customer) have a fixed shape; only their
// values change. Building and compiling a Kysely query costs more CPU than SQLite takes to run it
// (profiled: about a quarter of a GET's time was Kysely's builder and compiler), so such a query
// is compiled once per dialect, with stand-ins for its arguments, and each call only binds values.
// On SQLite a compiled select also skips Kysely's connection handling when it can (sqlite-direct.ts).
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { DB } from './schema.js';
import { directReaderOf } from './sqlite-direct.js';

const STAND_IN = '\u0000oem-argument:';

interface Template {
  sql: string;
  /** For each bound parameter: the index of the argument it takes, or its constant value. */
  slots: ({ arg: number } | { value: unknown })[];
}

/**
 * Wraps a query builder whose arguments flow only into bound parameters (never into the shape:
 * no lists of varying length, no optional clauses). The result runs the same SQL with the
 * arguments of each call and returns the rows.
 */
export function compiledOnce<A extends (string | number)[], R>(
  build: (db: Kysely<DB>, ...args: A) => Compilable<R>,
): (db: Kysely<DB>, ...args: A) => Promise<R[]> {
  // Keyed by the dialect's adapter class: the same for a store and its transactions.
  const templates = new WeakMap<object, Template>();
  return async (db, ...args) => {
    const key = db.getExecutor().adapter.constructor;
    let template = templates.get(key);
    if (!template) {
      const compiled = build(db, ...(args.map((_, i) => `${STAND_IN}${i}`) as A)).compile();
      const slots = compiled.parameters.map((p) =>
        typeof p === 'string' && p.startsWith(STAND_IN) ? { arg: Number(p.slice(STAND_IN.length)) } : { value: p });
      const used = new Set(slots.flatMap((s) => ('arg' in s ? [s.arg] : [])));
      if (used.size !== args.length) throw new Error(`compiledOnce: ${args.length - used.size} argument(s) did not become parameters`);
      template = { sql: compiled.sql, slots };
      templates.set(key, template);
    }
    const parameters = template.slots.map((s) => ('arg' in s ? args[s.arg] : s.value));
    const direct = directReaderOf(db)?.(template.sql, parameters);
    if (direct) return direct as R[];
    const result = await db.executeQuery(CompiledQuery.raw(template.sql, parameters) as CompiledQuery<R>);
    return result.rows;
  };
}
