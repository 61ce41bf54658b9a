import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startTestBroker, type RunningBroker } from '../helpers/broker.js';
import { waitFor } from './support.js';

let dir: ReturnType<typeof tempDir>;
let pki: TestPki;
let broker: RunningBroker;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = tempDir('broker-interop');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['svc-a', 'service'],
    ['monitor', 'monitor'],
  ]);
  broker = await startTestBroker({ certsDir: pki.dir, dataDir: join(dir.path, 'data') });
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

afterAll(async () => {
  await broker?.close();
  dir?.remove();
});

/** The TLS flags of Debian's mosquitto clients for an identity of the test PKI. */
function tlsArgs(name: string): string[] {
  return [
    '-h',
    '127.0.0.1',
    '-p',
    String(broker.port),
    '--cafile',
    join(pki.dir, 'ca.crt'),
    '--cert',
    join(pki.dir, 'clients', `${name}.crt`),
    '--key',
    join(pki.dir, 'clients', `${name}.key`),
  ];
}

function run(command: string, args: string[]) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { exit, output: () => stdout, errors: () => stderr };
}

describe('Debian mosquitto clients', () => {
  it('report a status with mosquitto_pub and receive it with mosquitto_sub', async () => {
    const sub = run('mosquitto_sub', [
      ...tlsArgs('monitor'),
      '-i',
      'monitor:sub',
      '-q',
      '1',
      '-v',
      '-C',
      '2',
      '-t',
      'piminder/status/svc-a',
      '-t',
      'piminder/status/piminder/broker',
    ]);
    // The broker's own status arrives first (retained): the subscription is in place.
    await waitFor(
      () => sub.output().includes('piminder/status/piminder/broker'),
      'the subscription',
    );

    const pub = run('mosquitto_pub', [
      ...tlsArgs('svc-a'),
      '-i',
      'svc-a',
      '-q',
      '1',
      '-r',
      '-t',
      'piminder/status/svc-a',
      '-m',
      '{"severity":"major","message":"from mosquitto_pub"}',
    ]);
    expect(await pub.exit).toBe(0);
    expect(await sub.exit).toBe(0);

    const line = sub
      .output()
      .split('\n')
      .find((text) => text.startsWith('piminder/status/svc-a '));
    const status = JSON.parse(line?.slice('piminder/status/svc-a '.length) ?? '{}') as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({
      service: 'svc-a',
      severity: 'major',
      message: 'from mosquitto_pub',
    });
  });

  it('see mosquitto_pub fail when the payload is refused', async () => {
    const pub = run('mosquitto_pub', [
      ...tlsArgs('svc-a'),
      '-i',
      'svc-a',
      '-q',
      '1',
      '-r',
      '-t',
      'piminder/status/svc-a',
      '-m',
      '{"severity":"panic"}',
    ]);
    expect(await pub.exit).not.toBe(0);
  });
});
