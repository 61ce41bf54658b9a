import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../../lib/status-payload.js';
import { brokerReady, startFixture, type Fixture } from './bridge-fixture.js';

/** Bad requests get clear JSON errors, and none of them stores or changes anything. */
let fixture: Fixture;
let before: Status[];
beforeAll(async () => {
  fixture = await startFixture();
  await brokerReady(fixture);
  const seeded = await fixture.call('POST', '/api/v1/status/cron/seed', {
    user: 'cron',
    body: { severity: 'minor', message: 'seeded' },
  });
  expect(seeded.status).toBe(200);
  before = await statuses();
});
afterAll(async () => {
  // Everything below was refused: the stored statuses are exactly as before.
  expect(await statuses()).toEqual(before);
  await fixture?.close();
});

async function statuses(): Promise<Status[]> {
  const answer = await fixture.call('GET', '/api/v1/status', { user: 'viewer' });
  return (answer.json as { statuses: Status[] }).statuses;
}

const MB = 1024 * 1024;

/**
 * Sends only the head and the first 128 KiB of a 10 MB body and waits: an answer can
 * only come if the bridge refuses without reading the rest.
 */
function startHugeUpload(path: string, head: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: fixture.bridgePort,
      ca: fixture.pki.ca,
      servername: 'localhost',
    });
    let answer = '';
    socket.on('secureConnect', () => {
      const auth = Buffer.from('cron:correct horse battery').toString('base64');
      const lines = [`POST ${path} HTTP/1.1`, 'host: localhost', `authorization: Basic ${auth}`];
      for (const [key, value] of Object.entries(head)) lines.push(`${key}: ${value}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      // Twice the default limit of 64 KiB, far short of the 10 MB announced.
      const chunk = Buffer.alloc(128 * 1024, 'a');
      const size = Buffer.from(`${chunk.length.toString(16)}\r\n`);
      const chunked = head['transfer-encoding'] === 'chunked';
      socket.write(chunked ? Buffer.concat([size, chunk, Buffer.from('\r\n')]) : chunk);
    });
    socket.on('data', (data: Buffer) => {
      answer += data.toString();
    });
    socket.on('end', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('bodies', () => {
  it("refuses invalid JSON with 400 in each API's shape", async () => {
    const json = await fixture.call('POST', '/api/v1/status/cron', {
      user: 'cron',
      raw: '{"severity": "ok", "message": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(json.status).toBe(400);
    expect(json.json).toEqual({
      code: 'PIMINDER_ERR_HTTP_BAD_JSON',
      status: 400,
      message: 'the request body is not valid JSON',
    });

    const legacy = await fixture.call('POST', '/api/messages/', {
      user: 'cron',
      raw: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(legacy.status).toBe(400);
    expect(legacy.json).toEqual({
      error: 400,
      message: 'the request body is not valid JSON',
      code: 'PIMINDER_ERR_HTTP_BAD_JSON',
    });
  });

  it('refuses a missing body and a body that is not an object', async () => {
    const missing = await fixture.call('POST', '/api/v1/status/cron', { user: 'cron' });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ message: expect.stringContaining('the body is missing') });

    const list = await fixture.call('POST', '/api/v1/status/cron', { user: 'cron', body: [1] });
    expect(list.status).toBe(400);
    expect(list.json).toMatchObject({ message: expect.stringContaining('must be a JSON object') });
  });

  it('refuses a declared 10 MB body with 413 without reading it', async () => {
    const answer = await startHugeUpload('/api/v1/status/cron', {
      'content-type': 'application/json',
      'content-length': String(10 * MB),
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(answer).toContain('"code":"PIMINDER_ERR_HTTP_TOO_LARGE"');
  });

  it('refuses a chunked body once it passes the limit', async () => {
    const answer = await startHugeUpload('/api/messages/', {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('"error":413');
  });

  it.each([
    ['text/plain', 'severity=ok'],
    ['application/x-www-form-urlencoded', 'severity=ok&message=x'],
    ['application/xml', '<severity>ok</severity>'],
  ])('refuses a %s body with 415', async (type, raw) => {
    const answer = await fixture.call('POST', '/api/v1/status/cron', {
      user: 'cron',
      raw,
      headers: { 'content-type': type },
    });
    expect(answer.status).toBe(415);
    expect(answer.json).toEqual({
      code: 'PIMINDER_ERR_HTTP_MEDIA_TYPE',
      status: 415,
      message: 'the request body must be JSON',
      hint: 'send "Content-Type: application/json"',
    });
  });
});

describe('paths', () => {
  it.each([
    ['/api/v1/status/..', 'service'],
    ['/api/v1/status/%2e%2e', 'service'],
    ['/api/v1/status/..%2F..%2Fetc%2Fpasswd', 'service'],
    ['/api/v1/status/cron/..%2Fbackup', 'check'],
    ['/api/v1/status/cron%00', 'service'],
    ['/api/v1/status/has%20space', 'service'],
  ])('refuses %s with 400 naming the %s', async (path, field) => {
    const answer = await fixture.call('POST', path, {
      user: 'cron',
      body: { severity: 'ok', message: 'x' },
    });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code: 'PIMINDER_ERR_HTTP_BAD_NAME', field });
  });

  it.each([
    ['GET', '/api/v2/status'],
    ['GET', '/api/v1/status/a/b/c'],
    ['PUT', '/api/v1/status/cron'],
    ['GET', '/etc/passwd'],
    ['GET', '/api/v1/../../etc/passwd'],
  ])('answers %s %s with a JSON 404', async (method, path) => {
    const answer = await fixture.call(method, path, { user: 'viewer' });
    expect(answer.status).toBe(404);
    expect(answer.json).toMatchObject({
      code: 'PIMINDER_ERR_HTTP_NO_ROUTE',
      status: 404,
      message: `no route ${method} ${path}`,
    });
  });
});
