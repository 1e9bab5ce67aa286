// The reads an access token needs: the customer behind an externalId and its keysets in one app.
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/** The live customer of the account with this externalId (unique per account: customers_external_id). */
export function findCustomerByExternalId(db: Kysely<DB>, accountId: number, externalId: string) {
  return db
    .selectFrom('customers')
    .select(['id', 'external_id'])
    .where('account_id', '=', accountId)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
}

/** Ids of the keysets the customer holds in the app, ascending; empty for an app of another account. */
export async function keysetIdsInApp(db: Kysely<DB>, accountId: number, customerId: string, appId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('customer_keysets')
    .innerJoin('keysets', 'keysets.id', 'customer_keysets.keyset_id')
    .select('keysets.id as id')
    .where('customer_keysets.customer_id', '=', customerId)
    .where('keysets.app_id', '=', appId)
    .where('keysets.account_id', '=', accountId)
    .orderBy('keysets.id')
    .execute();
  return rows.map((r) => r.id);
}
