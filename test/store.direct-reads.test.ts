// Direct reads on SQLite (src/db/sqlite-direct.ts): a query compiled once runs straight on the
// connection only while nobody holds it; otherwise it takes Kysely's path and waits its turn. The
// promise kept is the group commit's: no read sees a batch's rows before the batch is durable, and
// never the rows of a write that was rolled back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AccountsService } from '../src/accounts/accounts.service.js';
import { findCustomer, insertCustomer } from '../src/customers/customers.repository.js';
import { newCustomerRow } from '../src/customers/customers.service.js';
import { directReaderOf } from '../src/db/sqlite-direct.js';
import { freshStore, TestClock, type StoreHandle } from './helpers/harness.js';

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
};

describe('SQLite direct reads', () => {
  let handle: StoreHandle;
  let accountId: number;
  before(async () => {
    handle = await freshStore('sqlite');
    accountId = (await new AccountsService(handle.store.db, new TestClock()).createAccount({ name: 'direct', oemEnabled: true })).id;
  });
  after(() => handle.destroy());

  const row = (externalId: string) => newCustomerRow(accountId, externalId, externalId, new Date().toISOString());

  test('the store reads directly when idle, never through a transaction, and not while a write holds the connection', async () => {
    const reader = directReaderOf(handle.store.db);
    assert.ok(reader, 'the SQLite store registers a direct reader');
    assert.deepEqual(reader('select 1 as one', []), [{ one: 1 }]);
    const inside = gate();
    const release = gate();
    const write = handle.store.write(async (trx) => {
      assert.equal(directReaderOf(trx), undefined, 'a transaction has no direct reader');
      inside.open();
      await release.opened;
    });
    await inside.opened;
    assert.equal(reader('select 1 as one', []), undefined, 'held by the batch: Kysely path');
    release.open();
    await write;
    assert.deepEqual(reader('select 1 as one', []), [{ one: 1 }]);
  });

  test('a read issued during a batch does not see its rows before the batch is committed', async () => {
    const c = row('during-batch');
    const inserted = gate();
    const release = gate();
    let committed = false;
    const write = handle.store.write(async (trx) => {
      await insertCustomer(trx, c);
      inserted.open();
      await release.opened;
    }).then(() => (committed = true));
    await inserted.opened;
    let readDone = false;
    const read = findCustomer(handle.store.db, accountId, c.id).then((found) => {
      readDone = true;
      assert.ok(committed, 'the read answered only after the commit');
      return found;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(readDone, false, 'the read waits for the batch');
    release.open();
    await write;
    assert.equal((await read)?.id, c.id);
  });

  test('the row of a write that was rolled back is never read', async () => {
    const c = row('rolled-back');
    const inserted = gate();
    const release = gate();
    const write = handle.store.write(async (trx) => {
      await insertCustomer(trx, c);
      inserted.open();
      await release.opened;
      throw new Error('changed my mind');
    });
    await inserted.opened;
    const read = findCustomer(handle.store.db, accountId, c.id);
    release.open();
    await assert.rejects(write, /changed my mind/);
    assert.equal(await read, undefined);
    assert.equal(await findCustomer(handle.store.db, accountId, c.id), undefined);
  });

  test('while a streamed query holds the connection, reads take Kysely\'s path (a direct one would find it busy)', async () => {
    for (let i = 0; i < 5; i++) await handle.store.write((trx) => insertCustomer(trx, row(`stream-${i}`)));
    const target = row('stream-target');
    await handle.store.write((trx) => insertCustomer(trx, target));
    const seen: string[] = [];
    for await (const r of handle.store.db.selectFrom('customers').select('id').stream()) {
      // Mid-iteration the connection is busy with this statement: a direct read would throw there.
      assert.equal(directReaderOf(handle.store.db)!('select 1 as one', []), undefined);
      seen.push(r.id);
      if (seen.length === 2) break;
    }
    assert.equal(seen.length, 2);
    assert.equal((await findCustomer(handle.store.db, accountId, target.id))?.id, target.id);
  });
});
