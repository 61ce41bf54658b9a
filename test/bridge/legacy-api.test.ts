import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokerReady,
  eventually,
  PASSWORD,
  startFixture,
  type Answer,
  type Fixture,
} from './bridge-fixture.js';

/**
 * The old Piminder REST API, as recorded request/answer pairs written from its documented
 * behaviour (LEGACY-API.md): the bodies and status codes existing clients rely on.
 */
let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture();
  await brokerReady(fixture);
});
afterAll(async () => fixture?.close());

let counter = 0;
function uniqueName(label: string): string {
  counter += 1;
  return `${label} job #${counter}`;
}

function post(name: string, overrides: Record<string, unknown> = {}) {
  return {
    name,
    timestamp: '2026-12-03T10:00:00Z',
    errorlevel: 'minor',
    message: 'disk 91% full',
    ...overrides,
  };
}

type Listed = Record<
  string,
  {
    messageId: string;
    name: string;
    read: boolean;
    errorLevel: string;
    timestamp: string;
    message: string;
  }
>;

async function list(): Promise<{ answer: Answer; messages: Listed[string][] }> {
  const answer = await fixture.call('GET', '/api/messages/', { user: 'viewer' });
  const body = answer.json as Record<string, unknown>;
  const messages = Object.keys(body)
    .filter((key) => key !== 'error')
    .map((key) => (body as Listed)[key] as Listed[string]);
  return { answer, messages };
}

async function messagesNamed(name: string) {
  return (await list()).messages.filter((message) => message.name === name);
}

function expectJson(answer: Answer, status: number, body: unknown): void {
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect({ status: answer.status, body: answer.json }).toEqual({ status, body });
}

describe('legacy POST /api/messages/', () => {
  it('answers 200 {"error": 200} and lists the message with its name and level', async () => {
    const name = uniqueName('backup');
    const answer = await fixture.call('POST', '/api/messages/', { user: 'cron', body: post(name) });
    expectJson(answer, 200, { error: 200 });

    const [message, ...others] = await messagesNamed(name);
    expect(others).toEqual([]);
    expect(message).toEqual({
      messageId: expect.any(String),
      name,
      read: false,
      errorLevel: 'minor',
      timestamp: '2026-12-03T10:00:00Z',
      message: 'disk 91% full',
    });
  });

  it('creates a new message for each identical POST', async () => {
    const name = uniqueName('repeat');
    for (let i = 0; i < 2; i++) {
      const body = post(name);
      const answer = await fixture.call('POST', '/api/messages/', { user: 'cron', body });
      expectJson(answer, 200, { error: 200 });
    }
    const messages = await messagesNamed(name);
    expect(messages).toHaveLength(2);
    expect(messages[0]?.messageId).not.toBe(messages[1]?.messageId);
  });

  it('keeps a free-text name exactly, colons and slashes included', async () => {
    const name = `weird: name / with ${'ü'} and: colons`;
    const body = post(name, { message: 'it: also has colons' });
    expectJson(await fixture.call('POST', '/api/messages/', { user: 'cron', body }), 200, {
      error: 200,
    });
    const [message] = await messagesNamed(name);
    expect(message?.message).toBe('it: also has colons');
  });

  it('answers a wrong errorlevel with 400 and all_errors, storing nothing', async () => {
    const name = uniqueName('badlevel');
    const answer = await fixture.call('POST', '/api/messages/', {
      user: 'cron',
      body: post(name, { errorlevel: 'critical' }),
    });
    expectJson(answer, 400, {
      all_errors: { errorlevel: 'Must be one of: info, minor, major.' },
      error: 400,
    });
    expect(await messagesNamed(name)).toEqual([]);
  });

  it('names every missing and mistyped field in all_errors', async () => {
    const answer = await fixture.call('POST', '/api/messages/', {
      user: 'cron',
      body: { name: 12, errorlevel: 'info', timestamp: 'yesterday' },
    });
    expectJson(answer, 400, {
      all_errors: {
        name: 'Not a valid string.',
        message: 'Missing data for required field.',
        timestamp: 'Not a valid datetime: use YYYY-MM-DDTHH:MM:SSZ.',
      },
      error: 400,
    });
  });

  it('refuses a body that is not an object with all_errors', async () => {
    const answer = await fixture.call('POST', '/api/messages/', { user: 'cron', body: [1, 2] });
    expectJson(answer, 400, {
      all_errors: { _schema: 'Invalid input type: the body must be an object.' },
      error: 400,
    });
  });
});

describe('legacy POST /api/messages/unique/', () => {
  it('keeps one message for a repeated name and text', async () => {
    const name = uniqueName('unique');
    for (let i = 0; i < 2; i++) {
      const body = post(name, { updateTimestamp: true, timestamp: `2026-12-03T1${i}:00:00Z` });
      const answer = await fixture.call('POST', '/api/messages/unique/', { user: 'cron', body });
      expectJson(answer, 200, { error: 200 });
    }
    const messages = await messagesNamed(name);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.timestamp).toBe('2026-12-03T11:00:00Z');
  });

  it('marks a read message unread again, keeping its time without updateTimestamp', async () => {
    const name = uniqueName('realert');
    const first = post(name, { updateTimestamp: false });
    await fixture.call('POST', '/api/messages/unique/', { user: 'cron', body: first });
    const [message] = await messagesNamed(name);
    const read = await fixture.call('PATCH', '/api/messages/', {
      user: 'viewer',
      body: { messageId: message?.messageId },
    });
    expectJson(read, 200, { error: 200 });
    expect((await messagesNamed(name))[0]?.read).toBe(true);

    const again = post(name, { updateTimestamp: false, timestamp: '2026-12-03T23:00:00Z' });
    const options = { user: 'cron', body: again };
    const answer = await fixture.call('POST', '/api/messages/unique/', options);
    expectJson(answer, 200, { error: 200 });
    const messages = await messagesNamed(name);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ read: false, timestamp: '2026-12-03T10:00:00Z' });
  });

  it('requires updateTimestamp as a boolean', async () => {
    const name = uniqueName('noflag');
    const missing = await fixture.call('POST', '/api/messages/unique/', {
      user: 'cron',
      body: post(name),
    });
    expectJson(missing, 400, {
      all_errors: { updateTimestamp: 'Missing data for required field.' },
      error: 400,
    });
    const wrong = await fixture.call('POST', '/api/messages/unique/', {
      user: 'cron',
      body: post(name, { updateTimestamp: 'yes' }),
    });
    expectJson(wrong, 400, {
      all_errors: { updateTimestamp: 'Not a valid boolean.' },
      error: 400,
    });
    expect(await messagesNamed(name)).toEqual([]);
  });
});

describe('legacy GET, PATCH and DELETE /api/messages/', () => {
  it('lists a numbered object, newest first, with "error": 200', async () => {
    const older = uniqueName('older');
    const newer = uniqueName('newer');
    await fixture.call('POST', '/api/messages/', {
      user: 'cron',
      body: post(older, { timestamp: '2026-12-01T08:00:00Z' }),
    });
    await fixture.call('POST', '/api/messages/', {
      user: 'cron',
      body: post(newer, { timestamp: '2026-12-02T08:00:00Z', errorlevel: 'major' }),
    });

    const { answer, messages } = await list();
    const body = answer.json as Record<string, unknown>;
    expect(answer.status).toBe(200);
    expect(body.error).toBe(200);
    expect(Object.keys(body).filter((key) => key !== 'error')).toEqual(
      messages.map((_, index) => String(index)),
    );
    const names = messages.map((message) => message.name);
    expect(names.indexOf(newer)).toBeLessThan(names.indexOf(older));
    const times = messages.map((message) => Date.parse(message.timestamp));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(messages.find((message) => message.name === newer)?.errorLevel).toBe('major');
  });

  it('marks a message read once; a second PATCH is a 400 saying it is read', async () => {
    const name = uniqueName('patch');
    await fixture.call('POST', '/api/messages/', { user: 'cron', body: post(name) });
    const [message] = await messagesNamed(name);
    const body = { messageId: message?.messageId };

    expectJson(await fixture.call('PATCH', '/api/messages/', { user: 'viewer', body }), 200, {
      error: 200,
    });
    expect((await messagesNamed(name))[0]?.read).toBe(true);

    const second = await fixture.call('PATCH', '/api/messages/', { user: 'viewer', body });
    expect(second.status).toBe(400);
    expect(second.json).toMatchObject({
      error: 400,
      message: `message ${message?.messageId} is already read`,
    });
  });

  it('answers PATCH and DELETE of an unknown id with 400 saying it does not exist', async () => {
    for (const method of ['PATCH', 'DELETE']) {
      const answer = await fixture.call(method, '/api/messages/', {
        user: 'viewer',
        body: { messageId: 'no-such-id' },
      });
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({
        error: 400,
        message: 'message no-such-id does not exist',
      });
    }
  });

  it('deletes a message', async () => {
    const name = uniqueName('delete');
    await fixture.call('POST', '/api/messages/', { user: 'cron', body: post(name) });
    const [message] = await messagesNamed(name);
    const answer = await fixture.call('DELETE', '/api/messages/', {
      user: 'viewer',
      body: { messageId: message?.messageId },
    });
    expectJson(answer, 200, { error: 200 });
    expect(await messagesNamed(name)).toEqual([]);
  });

  it('asks for messageId in all_errors', async () => {
    const answer = await fixture.call('PATCH', '/api/messages/', { user: 'viewer', body: {} });
    expectJson(answer, 400, {
      all_errors: { messageId: 'Missing data for required field.' },
      error: 400,
    });
  });
});

describe('legacy authentication', () => {
  it('answers wrong credentials with 401 {"message": "unauthorized"}', async () => {
    for (const user of [
      ['cron', 'wrong password'],
      ['nobody', PASSWORD],
    ] as const) {
      const answer = await fixture.call('POST', '/api/messages/', {
        user: [...user],
        body: post('x'),
      });
      expectJson(answer, 401, { message: 'unauthorized' });
    }
  });

  it('answers a missing or malformed Authorization header with 401, not a crash', async () => {
    expectJson(await fixture.call('GET', '/api/messages/'), 401, { message: 'unauthorized' });
    const answer = await fixture.call('GET', '/api/messages/', {
      headers: { authorization: 'Basic not-base64!' },
    });
    expectJson(answer, 401, { message: 'unauthorized' });
  });

  it('answers valid credentials of too low a level with the odd 400', async () => {
    const odd = { error: 400, msg: 'Unauthorized' };
    expectJson(await fixture.call('GET', '/api/messages/', { user: 'cron' }), 400, odd);
    const patch = await fixture.call('PATCH', '/api/messages/', {
      user: 'cron',
      body: { messageId: 'x' },
    });
    expectJson(patch, 400, odd);
    expectJson(await fixture.call('GET', '/api/users/', { user: 'viewer' }), 400, odd);
  });

  it('answers a monitor posting (the access table forbids it) with the odd 400', async () => {
    const name = uniqueName('monitor-post');
    const options = { user: 'viewer', body: post(name) };
    const answer = await fixture.call('POST', '/api/messages/', options);
    expectJson(answer, 400, { error: 400, msg: 'Unauthorized' });
    expect(await messagesNamed(name)).toEqual([]);
  });

  it('accepts a client certificate as well as a password', async () => {
    const name = uniqueName('by-certificate');
    const options = { cert: 'backup', body: post(name) };
    const answer = await fixture.call('POST', '/api/messages/', options);
    expectJson(answer, 200, { error: 200 });
    expect(await messagesNamed(name)).toHaveLength(1);
  });
});

describe('legacy /api/users/', () => {
  it('lists users sorted by name with levels and never passwords', async () => {
    const answer = await fixture.call('GET', '/api/users/', { user: 'boss' });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      '0': { username: 'boss', memo: '', permissionLevel: 3 },
      '1': { username: 'cron', memo: '', permissionLevel: 1 },
      '2': { username: 'viewer', memo: '', permissionLevel: 2 },
      error: 200,
    });
    expect(answer.text).not.toMatch(/password|hash|salt/);
  });

  it('creates a user who can then log in, and disables it with DELETE', async () => {
    const body = {
      username: 'newbie',
      permissionLevel: 'service',
      memo: 'lab',
      password: 'pa55word!',
    };
    const created = await fixture.call('POST', '/api/users/', { user: 'boss', body });
    expectJson(created, 200, { error: 200, message: 'user newbie saved' });

    const posted = await fixture.call('POST', '/api/messages/', {
      user: ['newbie', 'pa55word!'],
      body: post(uniqueName('newbie')),
    });
    expect(posted.status).toBe(200);

    const disabled = await fixture.call('DELETE', '/api/users/', {
      user: 'boss',
      body: { username: 'newbie' },
    });
    expectJson(disabled, 200, { error: 200, message: 'user newbie disabled' });
    const users = (await fixture.call('GET', '/api/users/', { user: 'boss' })).json;
    expect(Object.values(users as object)).toContainEqual({
      username: 'newbie',
      memo: 'lab',
      permissionLevel: 0,
    });
    const refused = await fixture.call('POST', '/api/messages/', {
      user: ['newbie', 'pa55word!'],
      body: post('x'),
    });
    expectJson(refused, 401, { message: 'unauthorized' });

    const enabled = await fixture.call('PATCH', '/api/users/', { user: 'boss', body });
    expect(enabled.status).toBe(200);
    await eventually(async () => {
      const again = await fixture.call('POST', '/api/messages/', {
        user: ['newbie', 'pa55word!'],
        body: post(uniqueName('newbie')),
      });
      return again.status === 200 ? true : undefined;
    }, 'the re-enabled user to be accepted');
  });

  it('names each bad field in all_errors and changes nothing', async () => {
    const answer = await fixture.call('POST', '/api/users/', {
      user: 'boss',
      body: { username: '../x', permissionLevel: 'root', password: 'short' },
    });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      all_errors: {
        username: expect.stringContaining('Not a valid name'),
        permissionLevel: 'Must be one of: service, monitor, admin.',
        password: 'The password must be at least 8 characters.',
      },
      error: 400,
    });
    const users = (await fixture.call('GET', '/api/users/', { user: 'boss' })).json;
    expect(JSON.stringify(users)).not.toContain('../x');
  });

  it('answers DELETE of an unknown user with 400 and a message', async () => {
    const answer = await fixture.call('DELETE', '/api/users/', {
      user: 'boss',
      body: { username: 'ghost' },
    });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: 400, message: 'user ghost does not exist' });
  });
});
