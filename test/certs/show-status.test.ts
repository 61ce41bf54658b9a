import { copyFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PiminderError } from '../../lib/errors.js';
import { listCertificates } from '../../tools/certs/list.js';
import { showCertificate } from '../../tools/certs/show.js';
import { certPaths, checkWithinCa, initCa, issueClient, loadCa } from '../../tools/certs/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { KEYGEN_TIMEOUT } from './support.js';

const ours = tempDir('certs-status');
const foreign = tempDir('certs-status-foreign');
const DAY_MS = 86_400_000;

beforeAll(async () => {
  await initCa(ours.path, { days: 1000 });
  await issueClient(ours.path, 'gauge', 'service', { days: 10 });
  await issueClient(ours.path, 'swapped', 'service');
  await initCa(foreign.path);
  await issueClient(foreign.path, 'swapped', 'service');
}, KEYGEN_TIMEOUT);

afterAll(() => {
  ours.remove();
  foreign.remove();
});

const named = (value: string) => ({ kind: 'named', value }) as const;

describe('status from the certificate, not only the index', { timeout: KEYGEN_TIMEOUT }, () => {
  it('says expired once the certificate has run out, whatever the index says', async () => {
    const later = new Date(Date.now() + 11 * DAY_MS);
    expect((await showCertificate(ours.path, named('gauge'))).status).toBe('active');
    expect((await showCertificate(ours.path, named('gauge'), later)).status).toBe('expired');

    const rows = await listCertificates(ours.path, later);
    expect(rows.find((row) => row.name === 'gauge')?.status).toBe('expired');
    expect(rows.find((row) => row.name === 'swapped')?.status).toBe('active');
  });

  it('says not yet valid before the certificate starts', async () => {
    const earlier = new Date(Date.now() - DAY_MS);
    expect((await showCertificate(ours.path, named('gauge'), earlier)).status).toBe(
      'not yet valid',
    );
  });

  it('says so when the file on disk was signed by another CA', async () => {
    const paths = certPaths(ours.path);
    copyFileSync(certPaths(foreign.path).clientCert('swapped'), paths.clientCert('swapped'));
    const shown = await showCertificate(ours.path, named('swapped'));
    expect(shown.status).toBe('not from this CA');
    expect(shown.entry?.status).toBe('active');
  });

  it('refuses to issue from a CA that has expired, or past its end', async () => {
    const ca = await loadCa(ours.path);
    const afterCa = new Date(Date.now() + 1001 * DAY_MS);
    const expired = (() => {
      try {
        checkWithinCa(ca, 1, afterCa);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(expired).toBeInstanceOf(PiminderError);
    expect((expired as PiminderError).code).toBe('PIMINDER_ERR_CERTS_CA_EXPIRED');
    expect((expired as PiminderError).toLine()).toMatch(/the CA expired on .*init --force/);
    expect(() => checkWithinCa(ca, 999)).not.toThrow();
    expect(() => checkWithinCa(ca, 1001)).toThrow(/would outlive the CA/);
  });
});
