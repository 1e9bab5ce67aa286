// A failure inside the server is a 500 with a generic message and the request id: never a
// stack trace, SQL text or driver message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHarness, STORE_KINDS } from './helpers/harness.js';

for (const kind of STORE_KINDS) {
  test(`a store failure → 500 InternalError naming only the request id [${kind}]`, async () => {
    const h = await createHarness(kind);
    const acc = await h.account();
    await h.store.close(); // every query now fails inside the driver
    try {
      const r = await h.request({ method: 'POST', url: '/v2/oem/customers', key: acc.key, body: { externalId: 'x', name: 'n' } });
      assert.equal(r.statusCode, 500);
      const id = String(r.headers['request-id']);
      assert.deepEqual(r.json(), { statusCode: 500, error: 'InternalError', message: [`Internal server error (request id ${id})`] });
      assert.doesNotMatch(r.body, /sqlite|postgres|select|insert|at |\.ts|\.js|destroyed|closed/i);
      const ready = await h.request({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.json().error, 'ServiceUnavailable');
    } finally {
      await h.app.close();
      await h.handle.destroy().catch(() => {});
    }
  });
}
