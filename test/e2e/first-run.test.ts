import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { Status } from '../../lib/status-payload.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI, spawnLogged, type LoggedProcess, type LogLine } from './process-log.js';

const run = promisify(execFile);

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The environment a new user has, plus free ports so tests never collide. */
function userEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PIMINDER_BROKER_PORT: '0',
    PIMINDER_BRIDGE_PORT: '0',
  };
}

async function startPiminder(cwd: string): Promise<{ piminder: LoggedProcess; ready: LogLine }> {
  const piminder = spawnLogged(['start'], cwd, userEnv());
  cleanups.push(async () => {
    if (piminder.child.exitCode === null) piminder.child.kill('SIGKILL');
    await piminder.exited;
  });
  const ready = await piminder.waitFor((line) => line.msg === 'piminder ready', 'ready', 60_000);
  return { piminder, ready };
}

async function stopPiminder(piminder: LoggedProcess): Promise<number | null> {
  piminder.child.kill('SIGTERM');
  return piminder.exited;
}

function outputIs(name: string, on: boolean, after = 0) {
  return (line: LogLine) =>
    line.msg === 'output changed' &&
    line.output === name &&
    line.on === on &&
    Number(line.time) >= after;
}

/** The last state the log shows for an output. */
function lastState(piminder: LoggedProcess, name: string): unknown {
  const changes = piminder.lines.filter((l) => l.msg === 'output changed' && l.output === name);
  return changes.at(-1)?.on;
}

async function httpsJson(url: string, certs: string, method = 'GET', body?: unknown) {
  const client = join(certs, 'clients');
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: readFileSync(join(certs, 'ca.crt')),
        cert: readFileSync(join(client, 'admin.crt')),
        key: readFileSync(join(client, 'admin.key')),
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function statusJson(cwd: string, brokerUrl: string): Promise<Status[]> {
  const { stdout } = await run(process.execPath, [CLI, 'status', '--json', '--url', brokerUrl], {
    cwd,
    env: userEnv(),
  });
  return JSON.parse(stdout) as Status[];
}

describe('a first run from an empty folder', () => {
  it('carries a report from mosquitto_pub to the simulated LED and back off on acknowledge', async () => {
    const home = tempDir('first-run');
    cleanups.push(home.remove);
    const cwd = home.path;
    const certs = join(cwd, 'certs');

    const { piminder, ready } = await startPiminder(cwd);
    const brokerUrl = String(ready.broker);
    const bridgeUrl = String(ready.bridge);
    const [, host, port] = /^mqtts:\/\/([^:]+):(\d+)$/.exec(brokerUrl)!;
    await piminder.waitFor(outputIs('green', true), 'all-clear on the green output');

    await run(process.execPath, [CLI, 'certs', 'issue', 'backup', '--role', 'service'], { cwd });
    const before = Date.now();
    await run('mosquitto_pub', [
      ...['-h', host!, '-p', port!, '-i', 'backup', '-q', '1', '-r'],
      ...['--cafile', join(certs, 'ca.crt')],
      ...['--cert', join(certs, 'clients/backup.crt'), '--key', join(certs, 'clients/backup.key')],
      ...['-t', 'piminder/status/backup', '-m', '{"severity":"major","message":"backup failed"}'],
    ]);
    await piminder.waitFor(outputIs('red', true, before), 'the major output on');
    await piminder.waitFor(outputIs('green', false, before), 'the all-clear output off');

    const listed = await statusJson(cwd, brokerUrl);
    const report = listed.find((status) => status.service === 'backup');
    expect(report).toMatchObject({
      severity: 'major',
      message: 'backup failed',
      acknowledged: false,
    });

    const api = await httpsJson(`${bridgeUrl}/api/v1/status`, certs);
    expect(api.status).toBe(200);
    const statuses = (api.body as { statuses: Status[] }).statuses;
    expect(statuses.find((status) => status.service === 'backup')?.id).toBe(report!.id);

    const acked = Date.now();
    const answer = await httpsJson(`${bridgeUrl}/api/v1/ack/backup`, certs, 'POST', {
      id: report!.id,
    });
    expect(answer.status).toBe(200);
    await piminder.waitFor(outputIs('green', true, acked), 'all-clear after the acknowledgement');
    expect(lastState(piminder, 'red')).toBe(false);

    expect(await stopPiminder(piminder)).toBe(0);
    expect(lastState(piminder, 'green')).toBe(false);
    const stopping = piminder.lines.findIndex((line) => line.msg === 'stopping');
    expect(stopping).toBeGreaterThan(0);
    expect(piminder.lines.slice(stopping).filter((line) => Number(line.level) >= 40)).toEqual([]);

    const again = await startPiminder(cwd);
    const kept = await statusJson(cwd, String(again.ready.broker));
    expect(kept.find((status) => status.service === 'backup')).toMatchObject({
      id: report!.id,
      acknowledged: true,
      acknowledgedBy: 'admin',
    });
    expect(await stopPiminder(again.piminder)).toBe(0);
  }, 240_000);
});
