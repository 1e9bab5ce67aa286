// Keyset config rules checked on the merged result (create and PATCH alike): regions that cannot
// change once set, what `enabled: true` needs, the one-level-deep merge, and concurrent PATCHes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fails as failsInOrder, ok } from './helpers/assertions.js';
import { countRows, describeEachStore } from './helpers/harness.js';
import { configClient, DEFAULT_CONFIG, withConfig } from './helpers/keyset-config.js';

const fails = (r: Parameters<typeof failsInOrder>[0], status: number, message: string[] | RegExp) => failsInOrder(r, status, message, true);

describeEachStore('keyset config: rules', (h) => {
  const c = configClient(h);

  test('a region, once set, cannot change: the same value is fine, another (or null) → 400 naming it, and nothing of that PATCH is written', async () => {
    const acc = await h().account();
    const { id } = await c.create(acc, await c.newApp(acc)); // files us-east-1, appContext aws-iad-1, dataSync unset
    const same = ok(await c.patch(acc, id, { files: { region: 'us-east-1', retention: 30 }, appContext: { region: 'aws-iad-1' } }));
    assert.deepEqual(same, withConfig({ files: { retention: 30 } }));
    assert.deepEqual(ok(await c.patch(acc, id, { dataSync: { region: 'aws-fra-1' } })).dataSync, { enabled: false, region: 'aws-fra-1' });
    assert.deepEqual(ok(await c.patch(acc, id, { dataSync: { region: 'aws-fra-1', enabled: true } })).dataSync, { enabled: true, region: 'aws-fra-1' });
    const before = await c.getConfig(acc, id);
    const cases: [unknown, string[]][] = [
      [{ files: { region: 'eu-central-1', retention: 90 }, presence: { deltas: true } }, ['files.region cannot be changed once set (it is us-east-1)']],
      [{ appContext: { region: 'aws-fra-1' }, accessManager: { enabled: true } }, ['appContext.region cannot be changed once set (it is aws-iad-1)']],
      [{ dataSync: { region: 'aws-iad-1' } }, ['dataSync.region cannot be changed once set (it is aws-fra-1)']],
      [{ files: { enabled: false, region: null } }, ['files.region cannot be changed once set (it is us-east-1)']],
      [{ files: { region: 'us-west-1' }, appContext: { region: 'aws-hnd-1' }, dataSync: { region: null, enabled: false } }, [
        'files.region cannot be changed once set (it is us-east-1)', 'appContext.region cannot be changed once set (it is aws-iad-1)',
        'dataSync.region cannot be changed once set (it is aws-fra-1)',
      ]],
    ];
    for (const [body, messages] of cases) fails(await c.patch(acc, id, body), 400, messages);
    assert.deepEqual(await c.getConfig(acc, id), before);
    // On create there is nothing stored yet: any region is a first setting.
    const made = await c.create(acc, await c.newApp(acc), { files: { region: 'ap-south-1' }, appContext: { region: 'aws-bom-1' }, dataSync: { region: 'aws-pdx-1' } });
    assert.deepEqual([made.config.files.region, made.config.appContext.region, made.config.dataSync.region], ['ap-south-1', 'aws-bom-1', 'aws-pdx-1']);
    // A region created unset is set once by PATCH, and then fixed.
    const blank = await c.create(acc, await c.newApp(acc), { files: { enabled: false, region: null } });
    assert.equal(blank.config.files.region, null);
    assert.equal(ok(await c.patch(acc, blank.id, { files: { region: null } })).files.region, null, 'null over null is no change');
    assert.equal(ok(await c.patch(acc, blank.id, { files: { region: 'ap-northeast-1' } })).files.region, 'ap-northeast-1');
    fails(await c.patch(acc, blank.id, { files: { region: 'us-east-1' } }), 400, ['files.region cannot be changed once set (it is ap-northeast-1)']);
  });

  test('enabled: true needs a region (files, appContext, dataSync), stored or sent; files and messagePersistence need a retention', async () => {
    const acc = await h().account();
    const appId = await c.newApp(acc);
    const count = await countRows(h().store, 'keysets');
    const createCases: [unknown, string[]][] = [
      [{ files: { region: null } }, ['config.files.region is required when files.enabled is true']],
      [{ files: { retention: null } }, ['config.files.retention is required when files.enabled is true']],
      [{ appContext: { enabled: true, region: null } }, ['config.appContext.region is required when appContext.enabled is true']],
      [{ dataSync: { enabled: true } }, ['config.dataSync.region is required when dataSync.enabled is true']],
      [{ messagePersistence: { retention: null } }, ['config.messagePersistence.retention is required when messagePersistence.enabled is true']],
      [{ files: { region: null, retention: null }, appContext: { region: null }, dataSync: { enabled: true }, messagePersistence: { enabled: true, retention: null } }, [
        'config.files.region is required when files.enabled is true', 'config.files.retention is required when files.enabled is true',
        'config.appContext.region is required when appContext.enabled is true', 'config.dataSync.region is required when dataSync.enabled is true',
        'config.messagePersistence.retention is required when messagePersistence.enabled is true',
      ]],
    ];
    for (const [config, messages] of createCases) fails(await c.createRaw(acc, appId, config), 400, messages);
    assert.equal(await countRows(h().store, 'keysets'), count, 'nothing written');
    // Off, the same fields may be unset.
    const off = await c.create(acc, appId, {
      files: { enabled: false, region: null, retention: null }, appContext: { enabled: false, region: null },
      messagePersistence: { enabled: false, retention: null },
    });
    const before = await c.getConfig(acc, off.id);
    assert.deepEqual(before, off.config);
    const patchCases: [unknown, string[]][] = [
      [{ files: { enabled: true } }, ['files.region is required when files.enabled is true', 'files.retention is required when files.enabled is true']],
      [{ files: { enabled: true, region: 'us-west-1' } }, ['files.retention is required when files.enabled is true']],
      [{ appContext: { enabled: true } }, ['appContext.region is required when appContext.enabled is true']],
      [{ dataSync: { enabled: true }, presence: { deltas: true } }, ['dataSync.region is required when dataSync.enabled is true']],
      [{ messagePersistence: { enabled: true } }, ['messagePersistence.retention is required when messagePersistence.enabled is true']],
    ];
    for (const [body, messages] of patchCases) fails(await c.patch(acc, off.id, body), 400, messages);
    assert.deepEqual(await c.getConfig(acc, off.id), before);
    // Sent together with enabled: fine.
    assert.deepEqual(ok(await c.patch(acc, off.id, { appContext: { enabled: true, region: 'aws-hnd-1' } })).appContext, { ...DEFAULT_CONFIG.appContext, region: 'aws-hnd-1' });
    assert.deepEqual(ok(await c.patch(acc, off.id, { messagePersistence: { enabled: true, retention: 365 } })).messagePersistence, { ...DEFAULT_CONFIG.messagePersistence, retention: 365 });
    // Stored earlier, enabled later: fine.
    ok(await c.patch(acc, off.id, { files: { region: 'eu-central-1', retention: 0 } }));
    assert.deepEqual(ok(await c.patch(acc, off.id, { files: { enabled: true } })).files, { enabled: true, region: 'eu-central-1', retention: 0 });
    ok(await c.patch(acc, off.id, { dataSync: { region: 'aws-bom-1' } }));
    assert.deepEqual(ok(await c.patch(acc, off.id, { dataSync: { enabled: true } })).dataSync, { enabled: true, region: 'aws-bom-1' });
    // A retention cannot be removed while enabled; once disabled it can.
    fails(await c.patch(acc, off.id, { messagePersistence: { retention: null } }), 400, ['messagePersistence.retention is required when messagePersistence.enabled is true']);
    assert.deepEqual(ok(await c.patch(acc, off.id, { messagePersistence: { enabled: false, retention: null } })).messagePersistence.retention, null);
  });

  test('merge one level deep: blocks not sent and fields not sent keep their value; the answer is the whole config, equal to GET', async () => {
    const acc = await h().account();
    const { id } = await c.create(acc, await c.newApp(acc), { presence: { announceMax: 50, activeNoticeChannel: 'notices' } });
    let want = withConfig({ presence: { announceMax: 50, activeNoticeChannel: 'notices' } });
    const steps: Record<string, Record<string, unknown>>[] = [
      { presence: { deltas: true } },
      { messagePersistence: { enabled: true, retention: 30 } },
      { presence: { interval: 60, debounce: 0 }, apns: { enabled: true, teamId: 'TEAM', authKeyId: 'KEY1', filename: 'key.p8' } },
      { files: {} },
      { accessManager: { enabled: true, tokenRevoke: true }, appContext: { enabled: true, disallowGetAllChannelMetadata: true } },
      { presence: { activeNoticeChannel: null }, streamController: { channelGroupLimit: 2000, wildcardSubscribe: false } },
      { apns: { teamId: null } },
    ];
    for (const step of steps) {
      for (const [block, fields] of Object.entries(step)) want = withConfig({ ...want, [block]: { ...(want as any)[block], ...fields } });
      const got = ok(await c.patch(acc, id, step));
      assert.deepEqual(got, want, JSON.stringify(step));
      assert.deepEqual(await c.getConfig(acc, id), want);
    }
    assert.equal(want.presence.announceMax, 50);
    assert.equal(want.presence.deltas, true);
  });

  test('concurrent PATCHes of one keyset\'s config lose no update', async () => {
    const acc = await h().account();
    const { id } = await c.create(acc, await c.newApp(acc));
    const changes: Record<string, Record<string, unknown>>[] = [
      { presence: { deltas: true } }, { presence: { generateLeaveOnDisconnect: true } }, { presence: { streamFiltering: true } },
      { presence: { announceMax: 77 } }, { presence: { interval: 33 } }, { presence: { debounce: 9 } }, { presence: { activeNoticeChannel: 'n' } },
      { appContext: { userMetadataEvents: false } }, { appContext: { channelMetadataEvents: false } }, { appContext: { membershipEvents: false } },
      { appContext: { disallowGetAllUserMetadata: true } }, { appContext: { referentialIntegrity: true } },
      { messagePersistence: { includePresenceEvents: true } }, { messagePersistence: { deleteFromHistory: true } },
      { apns: { teamId: 'T' } }, { apns: { authKeyId: 'A' } }, { apns: { filename: 'f' } }, { accessManager: { tokenRevoke: false } },
    ];
    for (let round = 0; round < 3; round++) {
      const rs = await Promise.all(changes.map((body) => c.patch(acc, id, body)));
      for (const r of rs) ok(r);
    }
    let want = withConfig({});
    for (const step of changes) for (const [block, fields] of Object.entries(step)) want = withConfig({ ...want, [block]: { ...(want as any)[block], ...fields } });
    assert.deepEqual(await c.getConfig(acc, id), want);
  });
});
