import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerReady, startFixture, type Fixture } from './bridge-fixture.js';
import { RECORDINGS } from './legacy-recordings.js';

let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture();
  await brokerReady(fixture);
});
afterAll(async () => fixture?.close());

/** messageIds learnt from list answers, by message name. */
const ids = new Map<string, string>();

/** Replaces every `{{name}}` with the id learnt for it. */
function fill<T>(value: T): T {
  const text = JSON.stringify(value).replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const id = ids.get(name);
    if (id === undefined) throw new Error(`no messageId learnt for ${name} yet`);
    return id;
  });
  return JSON.parse(text) as T;
}

type Listed = { messageId: string; name: string };

describe('the recorded legacy conversation, replayed in order', () => {
  it.each(RECORDINGS.map((recording, index) => [index + 1, recording.what, recording] as const))(
    '%i. %s',
    async (_step, _what, recording) => {
      const { method, path, basic, body } = recording.request;
      const headers: Record<string, string> = {};
      if (basic !== undefined) {
        headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
      }
      const answer = await fixture.call(method, path, {
        headers,
        ...(body === undefined ? {} : { body: fill(body) }),
      });
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.status).toBe(recording.answer.status);
      if (recording.answer.body !== undefined) {
        expect(answer.json).toEqual(fill(recording.answer.body));
      }

      const expected = recording.answer.list;
      if (expected === undefined) return;
      const listed = Object.entries(answer.json as Record<string, unknown>)
        .filter(([key]) => key !== 'error')
        .map(([, value]) => value as Listed);
      expect((answer.json as { error: number }).error).toBe(200);
      const names = new Set(expected.map((entry) => entry.name));
      const ours = listed.filter((entry) => names.has(entry.name));
      for (const entry of ours) if (!ids.has(entry.name)) ids.set(entry.name, entry.messageId);
      expect(ours).toEqual(fill(expected));
    },
  );
});
