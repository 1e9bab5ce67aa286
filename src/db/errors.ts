// Recognises constraint violations from either driver, so a race that slips past a service's
// pre-check still ends as a 4xx naming the conflict instead of a 500.
interface DriverError {
  code?: string;
  constraint?: string;
  message?: string;
}

/** `target` is a table.column fragment for SQLite and an index or constraint name for PostgreSQL. */
export function isUniqueViolation(error: unknown, target: { sqlite: string; postgres: string }): boolean {
  const e = error as DriverError;
  if (e?.code === '23505') return e.constraint === target.postgres;
  if (e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return typeof e.message === 'string' && e.message.includes(target.sqlite);
  }
  return false;
}

/** PostgreSQL refusing a text value it cannot hold (a NUL character), wherever it came from. */
export function isUnstorableText(error: unknown): boolean {
  const code = (error as DriverError)?.code;
  return code === '22021' || code === '22P05';
}

export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as DriverError;
  return e?.code === '23503' || e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
