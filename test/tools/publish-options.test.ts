import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PiminderError } from '../../lib/errors.js';
import { explainConnectFailure } from '../../tools/client/connection-failure.js';
import { resolveConnection, type ConnectionFlags } from '../../tools/client/connection-settings.js';
import { ClientError, UsageError } from '../../tools/client/errors.js';
import { encodeRequest } from '../../tools/client/publish-report.js';
import { certPaths } from '../../tools/certs/store.js';
import { buildRequest } from '../../tools/commands/publish.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';

function failureOf(run: () => unknown): PiminderError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PiminderError);
    return error as PiminderError;
  }
  throw new Error('accepted');
}

describe('a report from the command line', () => {
  it('is validated by the broker schema and encoded as JSON', () => {
    const options = { severity: 'minor', message: 'disk 80%', check: 'disk', ttl: '90.5' };
    const request = buildRequest(options);

    expect(request).toEqual({
      kind: 'report',
      report: { severity: 'minor', message: 'disk 80%', ttl: 90.5 },
      check: 'disk',
    });
    expect(JSON.parse(encodeRequest(request).toString('utf8'))).toEqual({
      severity: 'minor',
      message: 'disk 80%',
      ttl: 90.5,
    });
  });

  it('turns --clear into a zero-length payload', () => {
    const request = buildRequest({ clear: true, check: 'disk' });

    expect(request).toEqual({ kind: 'clear', check: 'disk' });
    expect(encodeRequest(request)).toHaveLength(0);
  });

  it('accepts an empty message and a ttl of exactly one year', () => {
    expect(buildRequest({ severity: 'ok', message: '', ttl: '31536000' })).toEqual({
      kind: 'report',
      report: { severity: 'ok', message: '', ttl: 31_536_000 },
      check: undefined,
    });
  });

  it.each([
    [{ ttl: '-5' }, 'invalid report: ttl must be more than 0 seconds'],
    [{ ttl: '0' }, 'invalid report: ttl must be more than 0 seconds'],
    [{ ttl: '31536001' }, 'invalid report: ttl must be at most 31536000 seconds (one year)'],
    [{ ttl: '1e9' }, '--ttl must be a number of seconds, not "1e9"'],
    [{ ttl: 'soon' }, '--ttl must be a number of seconds, not "soon"'],
    [{ ttl: '' }, '--ttl must be a number of seconds, not ""'],
    [{ severity: 'fatal' }, 'invalid report: severity must be one of ok, info, minor, major'],
    [{ severity: undefined }, '--severity is required: one of ok, info, minor, major'],
    [{ message: undefined }, '--message is required (it may be empty: --message "")'],
    [{ message: 'é'.repeat(2049) }, 'invalid report: message must be at most 4096 bytes of UTF-8'],
    [{ check: 'a/b' }, '--check "a/b" is not a valid name: use 1 to 64 characters'],
    [{ check: '..' }, '--check ".." is not a valid name'],
    [{ clear: true }, '--clear takes no --severity, --message'],
  ])('refuses %j', (change, message) => {
    const options = { severity: 'major', message: 'x', ...change };

    const error = failureOf(() => buildRequest(options));

    expect(error).toBeInstanceOf(UsageError);
    expect(error.code).toBe('PIMINDER_ERR_CLI_USAGE');
    expect(error.message).toContain(message);
  });
});

describe('connection settings', () => {
  const dir = tempDir('cli-settings');
  let pki: TestPki;

  beforeAll(async () => {
    pki = await createTestPki(join(dir.path, 'certs'), [
      ['backup', 'service'],
      ['monitor', 'monitor'],
    ]);
  });

  afterAll(() => dir.remove());

  const resolve = (flags: ConnectionFlags, env: NodeJS.ProcessEnv = {}, fallback?: string) =>
    resolveConnection(flags, {
      env: { PIMINDER_CERTS: pki.dir, ...env },
      ...(fallback === undefined ? {} : { defaultIdentity: fallback }),
    });

  it('writes the broker address as host:port, an IPv6 address in brackets', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const cases = [
      ['mqtts://[::1]:20883', '[::1]:20883'],
      ['mqtts://broker.lan', 'broker.lan:8883'],
      ['mqtts://127.0.0.1:9000', '127.0.0.1:9000'],
    ];

    for (const [url, address] of cases) {
      const settings = resolve({ identity: 'backup', url });
      expect(settings.endpoint.address).toBe(address);
      const error = await explainConnectFailure(refused, 'tcp', settings);
      expect(error.message).toBe(`connection refused: nothing is listening on ${address}`);
    }
  });

  it('reads the service name and role from the certificate', () => {
    const settings = resolve({ identity: 'backup' });

    expect(settings.identity).toMatchObject({ name: 'backup', role: 'service' });
    expect(settings.endpoint).toEqual({
      host: '127.0.0.1',
      port: 8883,
      url: 'mqtts://127.0.0.1:8883',
      address: '127.0.0.1:8883',
    });
    expect(settings.prefix).toBe('piminder');
    expect(settings.timeoutMs).toBe(10_000);
    expect(settings.files).toEqual({
      cert: certPaths(pki.dir).clientCert('backup'),
      key: certPaths(pki.dir).clientKey('backup'),
      ca: certPaths(pki.dir).caCert,
    });
  });

  it('takes every option from PIMINDER_* variables, and flags over them', () => {
    const env = {
      PIMINDER_URL: 'mqtts://[::1]:9999',
      PIMINDER_IDENTITY: 'monitor',
      PIMINDER_TOPIC_PREFIX: 'lab',
      PIMINDER_TIMEOUT: '2.5',
      PIMINDER_SERVERNAME: 'pi.example',
    };

    const fromEnv = resolve({}, env);
    const fromFlags = resolve({ url: 'mqtts://localhost', identity: 'backup', timeout: '1' }, env);

    expect(fromEnv.endpoint).toMatchObject({ host: '::1', port: 9999 });
    expect(fromEnv.identity.name).toBe('monitor');
    expect(fromEnv.prefix).toBe('lab');
    expect(fromEnv.timeoutMs).toBe(2500);
    expect(fromEnv.servername).toBe('pi.example');
    expect(fromFlags.endpoint).toMatchObject({ host: 'localhost', port: 8883 });
    expect(fromFlags.identity.name).toBe('backup');
    expect(fromFlags.timeoutMs).toBe(1000);
  });

  it('uses the default identity only when none is given', () => {
    expect(resolve({}, {}, 'monitor').identity.name).toBe('monitor');
    expect(resolve({ identity: 'backup' }, {}, 'monitor').identity.name).toBe('backup');
  });

  it('takes explicit certificate files, with the CA from the certificate folder', () => {
    const paths = certPaths(pki.dir);

    const settings = resolve({ cert: paths.clientCert('backup'), key: paths.clientKey('backup') });

    expect(settings.identity.name).toBe('backup');
    expect(settings.files.ca).toBe(paths.caCert);
    expect(settings.crlPath).toBe(paths.crl);
  });

  it.each([
    [{}, {}, 'no client certificate given'],
    [{ identity: 'backup', cert: 'a.crt', key: 'a.key' }, {}, 'give either --identity or --cert'],
    [{ cert: 'a.crt' }, {}, '--cert and --key go together'],
    [{ identity: 'a b' }, {}, '--identity "a b" is not a valid name'],
    [{ identity: 'backup', url: 'mqtt://127.0.0.1' }, {}, 'must start with mqtts://'],
    [{ identity: 'backup', url: 'mqtts://127.0.0.1/x' }, {}, 'with no path'],
    [{ identity: 'backup', url: '127.0.0.1:8883' }, {}, '--url "127.0.0.1:8883" is not a URL'],
    [{ identity: 'backup', url: 'nonsense' }, {}, 'is not a URL'],
    [{ identity: 'backup', topicPrefix: 'a/b' }, {}, '--topic-prefix "a/b" is not a valid name'],
    [
      { identity: 'backup', timeout: '0' },
      {},
      'timeout: must be more than 0 seconds (from --timeout)',
    ],
    [
      { identity: 'backup' },
      { PIMINDER_TIMEOUT: '7200' },
      'timeout: must be at most 3600 seconds (from PIMINDER_TIMEOUT)',
    ],
  ])('refuses %j %j as wrong usage', (flags, env, message) => {
    const error = failureOf(() => resolve(flags, env));

    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain(message);
  });

  it('names a missing file and a key that belongs to another certificate', () => {
    const paths = certPaths(pki.dir);

    const missing = failureOf(() => resolve({ identity: 'backup', ca: '/nonexistent/ca.crt' }));
    const mismatch = failureOf(() =>
      resolve({ cert: paths.clientCert('backup'), key: paths.clientKey('monitor') }),
    );
    const notPem = failureOf(() => resolve({ cert: paths.index, key: paths.clientKey('backup') }));

    expect(missing.code).toBe('PIMINDER_ERR_CLIENT_FILES');
    expect(missing.message).toBe('cannot read CA /nonexistent/ca.crt: ENOENT');
    expect(missing.hint).toBe('copy ca.crt from the certificate folder, or pass --ca or --certs');
    const noCert = failureOf(() => resolve({ identity: 'ghost' }));
    expect(noCert.hint).toBe(
      'issue it with "piminder certs issue <name> --role <role>", ' +
        'or point --certs at the folder that has it',
    );
    expect(mismatch).toBeInstanceOf(ClientError);
    expect(mismatch.message).toBe(
      `key ${paths.clientKey('monitor')} does not belong to ` +
        `certificate ${paths.clientCert('backup')}`,
    );
    expect(notPem.code).toBe('PIMINDER_ERR_CLIENT_CERT_INVALID');
    expect(notPem.message).toContain(`${paths.index} is not a PEM certificate`);
  });
});
