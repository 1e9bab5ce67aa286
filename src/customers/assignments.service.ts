// Which keysets a customer holds (CONTRACT §4 routes 6–10). Assign and unassign lock the customer's
// row first, so simultaneous requests on one customer take turns and the cap of 5 always holds.
import type { Clock } from '../clock.js';
import type { Store } from '../db/store.js';
import { badRequest, notFound } from '../errors.js';
import * as assignments from './assignments.repository.js';
import { claimProblems, constraintAsBadRequest, customerHeader, detailOf, MAX_KEYSETS_PER_CUSTOMER, type Assignment, type CustomerDetail } from './customer-rules.js';
import { findCustomer, lockCustomer } from './customers.repository.js';

export class AssignmentsService {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

  /** Additive: a keyset already held keeps its first assignedAt; the cap counts what is held afterwards. */
  async assign(accountId: number, customerId: string, requested: number[]): Promise<CustomerDetail> {
    // Ascending, so concurrent requests take the keysets' row locks in one order and cannot deadlock.
    const keysetIds = [...new Set(requested)].sort((a, b) => a - b);
    try {
      return await this.store.write(async (trx) => {
        const row = await lockCustomer(trx, accountId, customerId);
        if (!row) throw notFound(`customer ${customerId} not found`);
        const held = new Set((await assignments.assignmentsOf(trx, customerId)).map((a) => a.keyset_id));
        const fresh = keysetIds.filter((id) => !held.has(id));
        const problems: string[] = [];
        if (held.size + fresh.length > MAX_KEYSETS_PER_CUSTOMER) {
          problems.push(`keysetIds: customer ${customerId} would hold ${held.size + fresh.length} keysets; at most ${MAX_KEYSETS_PER_CUSTOMER} are allowed`);
        } else if (fresh.length > 0) {
          problems.push(...(await claimProblems(trx, accountId, fresh, customerId)));
        }
        if (problems.length > 0) throw badRequest(problems);
        await assignments.insertAssignments(trx, assignments.assignmentRows(customerId, fresh, this.clock.now().toISOString()));
        return detailOf(trx, row);
      });
    } catch (error) {
      throw constraintAsBadRequest(error);
    }
  }

  async unassign(accountId: number, customerId: string, keysetId: number): Promise<CustomerDetail> {
    return this.store.write(async (trx) => {
      const row = await lockCustomer(trx, accountId, customerId);
      if (!row) throw notFound(`customer ${customerId} not found`);
      if (!(await assignments.deleteAssignment(trx, customerId, keysetId))) {
        throw notFound(`customer ${customerId} does not hold keyset ${keysetId}`);
      }
      return detailOf(trx, row);
    });
  }

  async keysetsOf(accountId: number, customerId: string, appId?: number): Promise<Assignment[]> {
    if (!(await findCustomer(this.store.db, accountId, customerId))) throw notFound(`customer ${customerId} not found`);
    const rows = await assignments.assignmentsOf(this.store.db, customerId, appId);
    return rows.map((a) => ({ id: a.keyset_id, assignedAt: a.assigned_at }));
  }

  async customerOfKeyset(accountId: number, keysetId: number) {
    const row = await assignments.holderOf(this.store.db, accountId, keysetId);
    if (!row) throw notFound(`keyset ${keysetId} not found or held by no customer`);
    return customerHeader(row);
  }

  async applicationsOf(accountId: number, customerId: string, page: number, pageSize: number) {
    if (!(await findCustomer(this.store.db, accountId, customerId))) throw notFound(`customer ${customerId} not found`);
    return assignments.appsOf(this.store.db, customerId, (page - 1) * pageSize, pageSize);
  }
}
