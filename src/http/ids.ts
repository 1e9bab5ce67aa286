import { notFound } from '../errors.js';

/** A decimal path id as a number; one beyond the safe-integer range cannot exist, so it is a 404. */
export function pathId(raw: string, what: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 1) throw notFound(`${what} ${raw} not found`);
  return id;
}
