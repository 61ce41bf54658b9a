import { afterEach, describe, expect, it } from 'vitest';
import { Level } from 'level';
import { RetainedStore } from '../../broker/retained-store.js';
import { tempDir } from '../helpers/temp-dir.js';

const dirs: Array<ReturnType<typeof tempDir>> = [];
const dbs: Array<Level<string, Buffer>> = [];

afterEach(async () => {
  await Promise.all(dbs.splice(0).map((db) => db.close()));
  for (const dir of dirs.splice(0)) dir.remove();
});

async function open(path?: string) {
  const location = path ?? (dirs[dirs.push(tempDir('retained')) - 1]?.path as string);
  const db = new Level<string, Buffer>(location, { valueEncoding: 'buffer' });
  await db.open();
  dbs.push(db);
  return { db, location, store: await RetainedStore.open(db, true) };
}

describe('the retained store', () => {
  it('groups concurrent writes into far fewer synced batches, all durable', async () => {
    const { db, location, store } = await open();
    const writes = Array.from({ length: 300 }, (_, n) =>
      store.write(`piminder/status/svc-${n}`, Buffer.from(`payload ${n}`), 1),
    );
    await Promise.all(writes);
    expect(store.stats().writes).toBe(300);
    expect(store.stats().batches).toBeLessThan(30);

    await db.close();
    dbs.splice(dbs.indexOf(db), 1);
    const reopened = await open(location);
    expect(reopened.store.size).toBe(300);
    expect(reopened.store.get('piminder/status/svc-7')).toEqual({
      topic: 'piminder/status/svc-7',
      payload: Buffer.from('payload 7'),
      qos: 1,
    });
  });

  it('deletes on a zero-length payload and keeps the last write of a topic', async () => {
    const { store } = await open();
    await Promise.all([
      store.write('a/b', Buffer.from('one'), 0),
      store.write('a/b', Buffer.from('two'), 2),
      store.write('a/c', Buffer.from('three'), 1),
    ]);
    await store.write('a/c', Buffer.alloc(0), 0);
    expect(store.get('a/b')).toEqual({ topic: 'a/b', payload: Buffer.from('two'), qos: 2 });
    expect(store.get('a/c')).toBeUndefined();
  });

  it('never matches $ topics with a first-level wildcard [MQTT-4.7.2-1]', async () => {
    const { store } = await open();
    await store.write('$SYS/note', Buffer.from('system'), 0);
    await store.write('piminder/status/svc', Buffer.from('status'), 0);
    await store.write('piminder/status/svc/disk', Buffer.from('check'), 0);

    const topics = (filters: string[]) =>
      store
        .matching(filters)
        .map((message) => message.topic)
        .sort();
    expect(topics(['#'])).toEqual(['piminder/status/svc', 'piminder/status/svc/disk']);
    expect(topics(['+/#', '+/note'])).toEqual(['piminder/status/svc', 'piminder/status/svc/disk']);
    expect(topics(['$SYS/#'])).toEqual(['$SYS/note']);
    expect(topics(['piminder/status/+'])).toEqual(['piminder/status/svc']);
    // A topic matched by two filters is replayed once.
    expect(topics(['piminder/#', 'piminder/status/#'])).toHaveLength(2);
  });
});
