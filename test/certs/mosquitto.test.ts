import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certPaths, initCa, issueClient, revoke } from '../../tools/certs/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { KEYGEN_TIMEOUT, type Run } from './support.js';

/**
 * The files as another TLS server reads them: Mosquitto with the CA, the server certificate,
 * require_certificate and the CRL, on loopback; clients are Mosquitto's own tools.
 */

const folder = tempDir('certs-mosquitto');
const dir = join(folder.path, 'pki');
const paths = certPaths(dir);
let broker: ChildProcess | undefined;
let port = 0;
let brokerLog = '';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port: free } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

async function untilListening(target: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(target, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error('mosquitto did not start listening');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits for Mosquitto to log `text` after offset `from` of its log. */
async function untilLogged(from: number, text: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!brokerLog.slice(from).includes(text)) {
    if (Date.now() > deadline) throw new Error(`mosquitto never logged "${text}"`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function runTool(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function publishAs(name: string): Promise<Run> {
  return runTool('mosquitto_pub', [
    '-h', 'localhost', '-p', String(port), '--cafile', paths.caCert,
    '--cert', paths.clientCert(name), '--key', paths.clientKey(name),
    '-t', `piminder/status/${name}`, '-m', '{"severity":"ok","message":"hi"}', '-q', '1',
  ]);
}

beforeAll(async () => {
  await initCa(dir);
  await issueClient(dir, 'good-job', 'service');
  await issueClient(dir, 'gone-job', 'service');
  await revoke(dir, 'gone-job');

  port = await freePort();
  const config = join(folder.path, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      'user root',
      'persistence false',
      `listener ${port} 127.0.0.1`,
      `cafile ${paths.caCert}`,
      `certfile ${paths.serverCert}`,
      `keyfile ${paths.serverKey}`,
      `crlfile ${paths.crl}`,
      'require_certificate true',
      'use_identity_as_username true',
      'log_dest stderr',
      'log_type all',
      '',
    ].join('\n'),
  );
  broker = spawn('mosquitto', ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  broker.stderr?.on('data', (chunk: Buffer) => (brokerLog += chunk.toString()));
  await untilListening(port);
}, KEYGEN_TIMEOUT);

afterAll(async () => {
  if (broker && broker.exitCode === null) {
    const exited = new Promise((resolve) => broker?.once('exit', resolve));
    broker.kill('SIGTERM');
    await exited;
  }
  folder.remove();
});

describe('the files in Mosquitto', { timeout: KEYGEN_TIMEOUT }, () => {
  it('accepts a client the CA issued, verifying the server as localhost', async () => {
    const logged = brokerLog.length;
    const published = await publishAs('good-job');
    expect(published.stderr).toBe('');
    expect(published.code).toBe(0);
    await untilLogged(logged, "u'good-job'");
    expect(brokerLog.slice(logged)).not.toContain('certificate verify failed');
  });

  it('refuses a client listed in crl.pem, the only thing that sets it apart', async () => {
    const logged = brokerLog.length;
    const published = await publishAs('gone-job');
    expect(published.code).not.toBe(0);
    await untilLogged(logged, 'certificate verify failed');
  });
});
