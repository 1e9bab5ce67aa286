// Idempotency keys (CONTRACT §6) in the store, so they hold across server processes. The unique
// (account_id, key_hash) constraint decides which request claims a key; the claim is an in-flight
// row (status null) until the response completes it or a 5xx releases it (deletes it).
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/** How many expired rows one claim deletes at most: cleanup never blocks a request for long. */
const CLEANUP_BATCH = 100;

export interface StoredResponse {
  status: number;
  contentType: string | null;
  body: string;
}

export type ClaimResult =
  | { kind: 'claimed'; id: number }
  | { kind: 'in-flight' }
  | { kind: 'mismatch' }
  | { kind: 'done'; response: StoredResponse };

export interface ClaimInput {
  accountId: number;
  keyHash: string;
  fingerprint: string;
  /** ISO timestamps from the injected clock. */
  now: string;
  /** Rows created before this are expired: ignored, and deleted. */
  expiredBefore: string;
  /** In-flight rows created before this were abandoned (their process died): they may be taken over. */
  abandonedBefore: string;
}

export class IdempotencyRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async claim(input: ClaimInput): Promise<ClaimResult> {
    await this.deleteSomeExpired(input.expiredBefore);
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.db.insertInto('idempotency_keys')
        .values({
          account_id: input.accountId,
          key_hash: input.keyHash,
          fingerprint: input.fingerprint,
          status: null,
          content_type: null,
          body: null,
          created_at: input.now,
          completed_at: null,
        })
        .onConflict((oc) => oc.columns(['account_id', 'key_hash']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted) return { kind: 'claimed', id: Number(inserted.id) };

      const row = await this.db.selectFrom('idempotency_keys').selectAll()
        .where('account_id', '=', input.accountId).where('key_hash', '=', input.keyHash)
        .executeTakeFirst();
      if (!row) continue; // released between the insert and the select: try again
      if (row.created_at < input.expiredBefore) {
        await this.db.deleteFrom('idempotency_keys').where('id', '=', row.id).where('created_at', '=', row.created_at).execute();
        continue;
      }
      if (row.fingerprint !== input.fingerprint) return { kind: 'mismatch' };
      if (row.status === null || row.body === null) {
        if (row.created_at >= input.abandonedBefore) return { kind: 'in-flight' };
        await this.db.deleteFrom('idempotency_keys').where('id', '=', row.id).where('status', 'is', null).execute();
        continue;
      }
      return { kind: 'done', response: { status: Number(row.status), contentType: row.content_type, body: row.body } };
    }
    return { kind: 'in-flight' };
  }

  /** Stores the response of a claimed key; false if the claim was gone (taken over or expired). */
  async complete(id: number, response: StoredResponse, at: string): Promise<boolean> {
    const r = await this.db.updateTable('idempotency_keys')
      .set({ status: response.status, content_type: response.contentType, body: response.body, completed_at: at })
      .where('id', '=', id).where('status', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Frees a claimed key (the request ended in a 5xx): the next request with it runs afresh. */
  async release(id: number): Promise<void> {
    await this.db.deleteFrom('idempotency_keys').where('id', '=', id).where('status', 'is', null).execute();
  }

  /** A bounded delete of the oldest expired rows (uses the created_at index). */
  private async deleteSomeExpired(expiredBefore: string): Promise<void> {
    await this.db.deleteFrom('idempotency_keys')
      .where('id', 'in', (eb) => eb.selectFrom('idempotency_keys').select('id')
        .where('created_at', '<', expiredBefore).orderBy('created_at').limit(CLEANUP_BATCH))
      .execute();
  }
}
