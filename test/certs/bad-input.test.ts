import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PiminderError } from '../../lib/errors.js';
import { listCertificates } from '../../tools/certs/list.js';
import { exportP12 } from '../../tools/certs/p12.js';
import { renewClient, renewServer } from '../../tools/certs/renew.js';
import { showCertificate } from '../../tools/certs/show.js';
import { certPaths, initCa, issueClient, revoke } from '../../tools/certs/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { KEYGEN_TIMEOUT, snapshot } from './support.js';

const folder = tempDir('certs-bad');
const dir = folder.path;
let caSerial = '';

beforeAll(async () => {
  const [ca] = await initCa(dir);
  caSerial = ca?.serial ?? '';
  await issueClient(dir, 'backup-job', 'service');
}, KEYGEN_TIMEOUT);

afterAll(() => folder.remove());

/** Runs a refused action and proves the folder is byte for byte and mode for mode the same. */
async function expectRefusal(
  target: string,
  action: () => Promise<unknown>,
  code: string,
  message: RegExp,
): Promise<PiminderError> {
  const before = snapshot(target);
  const error = await action().then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(PiminderError);
  const refusal = error as PiminderError;
  expect(refusal.code).toBe(`PIMINDER_ERR_CERTS_${code}`);
  expect(refusal.toLine()).toMatch(message);
  expect(refusal.toLine()).not.toContain('\n');
  expect(snapshot(target)).toEqual(before);
  return refusal;
}

describe('refusals leave every file as it was', { timeout: KEYGEN_TIMEOUT }, () => {
  it('refuses an unknown role and names the roles', async () => {
    for (const role of ['root', 'Service', '', 'admin ']) {
      await expectRefusal(
        dir,
        () => issueClient(dir, 'new-client', role),
        'BAD_ROLE',
        /unknown role ".*": use one of service, monitor, bridge, admin/,
      );
    }
  });

  it('refuses every name outside the topic grammar', async () => {
    const names = ['', 'a b', '../etc', '.', '..', 'x'.repeat(65), 'caf\u00e9', 'a/b', 'a+b', '#'];
    for (const name of names) {
      await expectRefusal(
        dir,
        () => issueClient(dir, name, 'service'),
        'BAD_NAME',
        /is not a valid name: use 1 to 64 characters/,
      );
    }
  });

  it("refuses a service named after the broker's own statuses", async () => {
    await expectRefusal(
      dir,
      () => issueClient(dir, 'piminder', 'service'),
      'BAD_NAME',
      /"piminder" is reserved for the broker's own statuses/,
    );
  });

  it('refuses to replace an existing CA without --force', async () => {
    const refusal = await expectRefusal(dir, () => initCa(dir), 'CA_EXISTS', /already exists/);
    expect(refusal.hint).toContain('--force');
  });

  it('refuses to revoke an unknown name or serial, the CA, or a revoked certificate', async () => {
    await expectRefusal(dir, () => revoke(dir, 'nobody'), 'UNKNOWN', /no certificate named/);
    await expectRefusal(dir, () => revoke(dir, 'abcdef0123'), 'UNKNOWN', /no certificate/);
    await expectRefusal(dir, () => revoke(dir, caSerial), 'UNKNOWN', /the CA itself/);

    await issueClient(dir, 'revoked-once', 'service');
    await revoke(dir, 'revoked-once');
    await expectRefusal(dir, () => revoke(dir, 'revoked-once'), 'ALREADY_REVOKED', /revoked/);
  });

  it('refuses to issue an active name again without --force', async () => {
    await expectRefusal(
      dir,
      () => issueClient(dir, 'backup-job', 'service'),
      'EXISTS',
      /an active certificate for "backup-job" exists .*renew.*--force/,
    );
  });

  it('refuses validity that is not whole days from 1 to 36500 or outlives the CA', async () => {
    for (const days of [0, -1, 1.5, Number.NaN, 36501]) {
      await expectRefusal(
        dir,
        () => issueClient(dir, 'new-client', 'service', { days }),
        'BAD_DAYS',
        /--days must be a whole number/,
      );
    }
    await expectRefusal(
      dir,
      () => issueClient(dir, 'new-client', 'service', { days: 3651 }),
      'BAD_DAYS',
      /would outlive the CA.*use --days 36\d\d or fewer/,
    );
  });

  it('refuses to renew or export a name without an active certificate', async () => {
    const renewNobody = () => renewClient(dir, 'nobody');
    await expectRefusal(dir, renewNobody, 'NOT_ACTIVE', /no active certificate to renew/);
    await expectRefusal(
      dir,
      () => exportP12(dir, 'nobody', join(dir, 'nobody.p12'), { password: 'pw' }),
      'NOT_ACTIVE',
      /no active certificate to export/,
    );
    await expectRefusal(
      dir,
      () => renewServer(dir, { sans: ['bad name!'] }),
      'BAD_SAN',
      /neither an IP address nor a DNS name/,
    );
  });

  it('refuses a .p12 export without a password, over a file, or in an unknown cipher', async () => {
    const file = join(dir, 'existing.p12');
    writeFileSync(file, 'keep me');
    const target = join(dir, 'new.p12');
    await expectRefusal(
      dir,
      () => exportP12(dir, 'backup-job', target, { password: undefined }),
      'P12_PASSWORD',
      /needs a password.*PIMINDER_P12_PASSWORD/,
    );
    await expectRefusal(
      dir,
      () => exportP12(dir, 'backup-job', target, { password: '' }),
      'P12_PASSWORD',
      /needs a password/,
    );
    for (const password of ['p\u00e4ssw\u00f6rd', 'tab\there', 'line\nbreak']) {
      await expectRefusal(
        dir,
        () => exportP12(dir, 'backup-job', target, { password }),
        'P12_PASSWORD',
        /printable ASCII characters only/,
      );
    }
    await expectRefusal(
      dir,
      () => exportP12(dir, 'backup-job', file, { password: 'pw' }),
      'FILE_EXISTS',
      /already exists.*--force/,
    );
    await expectRefusal(
      dir,
      () => exportP12(dir, 'backup-job', target, { password: 'pw', algorithm: 'rc2-40' }),
      'BAD_OPTION',
      /unknown PKCS#12 algorithm "rc2-40".*aes256, 3des/,
    );
  });

  it('refuses a broken index without rewriting it', async () => {
    const broken = tempDir('certs-broken-index');
    try {
      await initCa(broken.path);
      const index = certPaths(broken.path).index;
      for (const content of ['{ not json', '{"entries":[{"serial":"zz"}]}', '[]']) {
        writeFileSync(index, content);
        await expectRefusal(
          broken.path,
          () => issueClient(broken.path, 'client', 'service'),
          'INDEX_BROKEN',
          /cannot read .*index\.json: .*\(restore it from a backup/,
        );
        const list = () => listCertificates(broken.path);
        await expectRefusal(broken.path, list, 'INDEX_BROKEN', /index/);
      }
    } finally {
      broken.remove();
    }
  });
});

describe('a folder without a CA', { timeout: KEYGEN_TIMEOUT }, () => {
  const empty = tempDir('certs-empty');
  afterAll(() => empty.remove());

  it('refuses every command that needs the CA and creates nothing', async () => {
    const missing = /no CA in .* \(ca\.crt and ca\.key\) \(run "piminder certs init --dir .*"/;
    const actions = [
      () => issueClient(empty.path, 'client', 'service'),
      () => revoke(empty.path, 'client'),
      () => renewClient(empty.path, 'client'),
      () => renewServer(empty.path),
      () => listCertificates(empty.path),
      () => showCertificate(empty.path, { kind: 'ca' }),
      () => exportP12(empty.path, 'client', join(empty.path, 'c.p12'), { password: 'pw' }),
    ];
    for (const action of actions) {
      await expectRefusal(empty.path, action, 'CA_MISSING', missing);
    }
    expect(readdirSync(empty.path)).toEqual([]);
  });

  it('creates nothing at all when init is given a bad SAN, --cn or --days', async () => {
    const target = join(empty.path, 'not-yet');
    const attempts: Array<[() => Promise<unknown>, string]> = [
      [() => initCa(target, { sans: ['192.168.1.300'] }), 'BAD_SAN'],
      [() => initCa(target, { sans: ['fe80::1%eth0'] }), 'BAD_SAN'],
      [() => initCa(target, { sans: ['-bad-.example'] }), 'BAD_SAN'],
      [() => initCa(target, { cn: '' }), 'BAD_NAME'],
      [() => initCa(target, { cn: 'x'.repeat(65) }), 'BAD_NAME'],
      [() => initCa(target, { days: 0 }), 'BAD_DAYS'],
    ];
    for (const [attempt, code] of attempts) {
      await expectRefusal(empty.path, attempt, code, /./);
      expect(existsSync(target)).toBe(false);
    }
  });
});

describe('init --force', { timeout: KEYGEN_TIMEOUT }, () => {
  it('replaces the CA and keeps every old file, unchanged, under replaced-<time>/', async () => {
    const replaced = tempDir('certs-force');
    try {
      await initCa(replaced.path);
      await issueClient(replaced.path, 'old-client', 'service');
      const before = snapshot(replaced.path);

      await initCa(replaced.path, { force: true });

      const aside = readdirSync(replaced.path).filter((name) => name.startsWith('replaced-'));
      expect(aside).toHaveLength(1);
      const kept = snapshot(join(replaced.path, aside[0] ?? ''));
      expect(kept).toEqual(before);
      expect(existsSync(certPaths(replaced.path).clientCert('old-client'))).toBe(false);
      const fresh = snapshot(replaced.path);
      expect(fresh['ca.crt']).not.toBe(before['ca.crt']);
    } finally {
      replaced.remove();
    }
  });
});

describe('a folder the index does not know', { timeout: KEYGEN_TIMEOUT }, () => {
  it('refuses to show a certificate whose file is gone', async () => {
    await issueClient(dir, 'gone', 'service');
    rmSync(certPaths(dir).clientCert('gone'));
    await expectRefusal(
      dir,
      () => showCertificate(dir, { kind: 'named', value: 'gone' }),
      'UNKNOWN',
      /certificate file .*gone\.crt is missing/,
    );
  });
});
