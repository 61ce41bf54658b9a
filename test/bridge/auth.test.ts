import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request as httpsRequest } from 'node:https';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore, usersFile } from '../../bridge/users/user-store.js';
import { createLogger } from '../../lib/logger.js';
import { revoke } from '../../tools/certs/store.js';
import { createTestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import { call, eventually, PASSWORD, startFixture, type Fixture } from './bridge-fixture.js';

/** A GET of /api/v1/whoami through `agent`, which keeps its one connection open. */
function keptAlive(agent: Agent, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      { host: '127.0.0.1', port, path: '/api/v1/whoami', agent },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/** Who may call: certificates and HTTP Basic users, without a broker behind the bridge. */
let fixture: Fixture;
const logText: string[] = [];
beforeAll(async () => {
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      logText.push(chunk.toString());
      done();
    },
  });
  fixture = await startFixture({
    broker: false,
    logger: createLogger({ name: 'test', level: 'debug', destination: sink }),
    bridge: { limits: { authFailuresBeforeDelay: 2, authDelayBaseMs: 400, trustReloadMs: 100 } },
  });
});
afterAll(async () => fixture?.close());

describe('callers with client certificates', () => {
  it('are named by CN with the role from OU', async () => {
    const answer = await fixture.call('GET', '/api/v1/whoami', { cert: 'panel' });
    expect(answer.json).toEqual({
      name: 'panel',
      role: 'monitor',
      via: 'certificate',
      mayAcknowledge: true,
    });
  });

  it('are refused when the certificate comes from another CA', async () => {
    const other = tempDir('foreign-ca');
    try {
      const foreign = await createTestPki(other.path, [['panel', 'monitor']]);
      const answer = await call(
        { pki: { ...fixture.pki, client: foreign.client }, bridgePort: fixture.bridgePort },
        'GET',
        '/api/v1/whoami',
        { cert: 'panel' },
      );
      expect(answer.status).toBe(401);
      expect(answer.json).toMatchObject({
        code: 'PIMINDER_ERR_HTTP_UNAUTHENTICATED',
        status: 401,
        message: expect.stringContaining('client certificate refused'),
      });
    } finally {
      other.remove();
    }
  });

  it('are refused once revoked, on open and new connections, without a restart', async () => {
    const certificate = await fixture.pki.issue('gone', 'service');
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ...certificate, ca: fixture.pki.ca });
    try {
      const whoami = () => keptAlive(agent, fixture.bridgePort);
      expect(await whoami()).toBe(200);

      await revoke(fixture.pki.dir, 'gone');
      await eventually(
        async () => ((await whoami()) === 401 ? true : undefined),
        'the kept-alive connection to be refused',
      );
      const fresh = await fixture.call('GET', '/api/v1/whoami', { cert: 'gone' });
      expect(fresh.status).toBe(401);
      expect(fresh.json).toMatchObject({ message: expect.stringContaining('CERT_REVOKED') });
      expect((await fixture.call('GET', '/api/v1/whoami', { cert: 'panel' })).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('stay refused when crl.pem is replaced by a broken file, which is logged', async () => {
    await fixture.pki.issue('kept-out', 'service');
    await revoke(fixture.pki.dir, 'kept-out');
    const crlPath = join(fixture.pki.dir, 'crl.pem');
    await eventually(
      async () =>
        (await fixture.call('GET', '/api/v1/whoami', { cert: 'kept-out' })).status === 401
          ? true
          : undefined,
      'the revocation to apply',
    );
    const good = readFileSync(crlPath);

    try {
      writeFileSync(crlPath, '-----BEGIN X509 CRL-----\nbm90IGEgQ1JM\n-----END X509 CRL-----\n');
      await eventually(
        () =>
          logText.some((line) => line.includes('revocation list unreadable')) ? true : undefined,
        'the broken file to be noticed',
      );

      const answer = await fixture.call('GET', '/api/v1/whoami', { cert: 'kept-out' });
      expect(answer.status).toBe(401);
      expect((await fixture.call('GET', '/api/v1/whoami', { cert: 'panel' })).status).toBe(200);
    } finally {
      writeFileSync(crlPath, good);
    }
  });
});

describe('callers with HTTP Basic credentials', () => {
  it('get 503, not 500, while the user list cannot be read; the start warns', async () => {
    const file = usersFile(fixture.dataDir);
    const saved = readFileSync(file);
    rmSync(file);
    mkdirSync(file);
    try {
      await fixture.restartBridge();
      expect(logText.some((line) => line.includes('cannot read the user list'))).toBe(true);

      const answer = await fixture.call('GET', '/api/v1/whoami', { user: 'cron' });

      expect(answer.status).toBe(503);
      expect(answer.json).toMatchObject({
        code: 'PIMINDER_ERR_HTTP_USERS_UNAVAILABLE',
        message: 'password logins are unavailable: the bridge cannot read its user list',
      });
      expect(JSON.stringify(answer.json)).not.toContain(fixture.dataDir);
      const logged = logText.filter((line) => line.includes('user list unreadable'));
      expect(logged.some((line) => line.includes('EISDIR'))).toBe(true);
      expect((await fixture.call('GET', '/api/v1/whoami', { cert: 'panel' })).status).toBe(200);
    } finally {
      rmSync(file, { recursive: true });
      writeFileSync(file, saved, { mode: 0o600 });
      await fixture.restartBridge();
    }
  });

  it("are named by user with the user's role", async () => {
    const answer = await fixture.call('GET', '/api/v1/whoami', { user: 'cron' });
    expect(answer.json).toEqual({
      name: 'cron',
      role: 'service',
      via: 'password',
      mayAcknowledge: false,
    });
  });

  it('get a JSON 401 with a Basic challenge when missing or wrong', async () => {
    for (const options of [{}, { user: ['cron', 'nope'] as [string, string] }]) {
      const answer = await fixture.call('GET', '/api/v1/whoami', options);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Basic realm="piminder"');
      expect(answer.json).toMatchObject({ code: 'PIMINDER_ERR_HTTP_UNAUTHENTICATED', status: 401 });
    }
  });

  it('are refused once disabled, and users added while running are accepted', async () => {
    const store = new UserStore(usersFile(fixture.dataDir));
    const whoami = async (status: number) => {
      const answer = await fixture.call('GET', '/api/v1/whoami', { user: 'temp' });
      return answer.status === status ? answer : undefined;
    };
    // The bridge looks at users.json at most once a second.
    await store.put({ name: 'temp', role: 'monitor', password: PASSWORD });
    const accepted = await eventually(() => whoami(200), 'the new user to be accepted');
    expect(accepted.json).toMatchObject({ name: 'temp', role: 'monitor' });

    await store.setDisabled('temp', true);
    const refused = await eventually(() => whoami(401), 'the disabled user to be refused');
    expect(refused.json).toMatchObject({ message: 'wrong user name or password' });
  });

  it('slow down an address after repeated failures', async () => {
    await fixture.restartBridge();
    const wrong: [string, string] = ['viewer', 'not the password'];
    for (let i = 0; i < 2; i++) await fixture.call('GET', '/api/v1/whoami', { user: wrong });

    // A lower bound only: a loaded machine can make it slower, never faster.
    const started = Date.now();
    const answer = await fixture.call('GET', '/api/v1/whoami', { user: 'viewer' });
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('never write a password to the log', async () => {
    await fixture.call('GET', '/api/v1/whoami', { user: ['cron', 'secret-typo-password'] });
    await fixture.call('GET', '/api/v1/whoami', { user: 'cron' });
    const text = logText.join('');
    expect(text).toContain('login refused');
    expect(text).not.toContain('secret-typo-password');
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(Buffer.from(`cron:${PASSWORD}`).toString('base64'));
  });
});
