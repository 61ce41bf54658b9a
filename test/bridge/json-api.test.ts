import { request as httpsRequest } from 'node:https';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../../lib/status-payload.js';
import { brokerReady, eventually, startFixture, type Fixture } from './bridge-fixture.js';

let fixture: Fixture;
const clients: MqttClient[] = [];
beforeAll(async () => {
  fixture = await startFixture();
  await brokerReady(fixture);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.endAsync()));
});
afterAll(async () => fixture?.close());

/** A real MQTT client with one of the fixture's certificates. */
async function mqttClient(identity: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${fixture.broker?.port}`, {
    ...fixture.pki.client(identity),
    ca: fixture.pki.ca,
    clientId: `${identity}:test-${Math.random().toString(16).slice(2)}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  clients.push(client);
  return client;
}

async function statuses(): Promise<Status[]> {
  const answer = await fixture.call('GET', '/api/v1/status', { user: 'viewer' });
  expect(answer.status).toBe(200);
  return (answer.json as { statuses: Status[] }).statuses;
}

describe('reporting over HTTP', () => {
  it('is received by an MQTT monitor as the stored status', async () => {
    const monitor = await mqttClient('panel');
    const received: Array<{ topic: string; payload: string }> = [];
    monitor.on('message', (topic, payload) => received.push({ topic, payload: String(payload) }));
    await monitor.subscribeAsync('piminder/status/cron/#', { qos: 1 });

    const answer = await fixture.call('POST', '/api/v1/status/cron/disk', {
      user: 'cron',
      body: { severity: 'major', message: 'disk 99%', ttl: 600 },
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      topic: 'piminder/status/cron/disk',
      status: { service: 'cron', check: 'disk', severity: 'major', message: 'disk 99%', ttl: 600 },
    });

    const delivered = await eventually(
      () => received.find((message) => message.topic === 'piminder/status/cron/disk'),
      'the report to reach the MQTT monitor',
    );
    expect(JSON.parse(delivered.payload)).toMatchObject({
      service: 'cron',
      check: 'disk',
      severity: 'major',
      message: 'disk 99%',
      acknowledged: false,
    });
  });

  it("is refused with 403 under another service's name, storing nothing", async () => {
    const answer = await fixture.call('POST', '/api/v1/status/backup', {
      user: 'cron',
      body: { severity: 'ok', message: 'pretending' },
    });
    expect(answer.status).toBe(403);
    expect(answer.json).toMatchObject({
      code: 'PIMINDER_ERR_HTTP_FORBIDDEN',
      status: 403,
      message: expect.stringContaining('only publish under its own name (cron)'),
    });
    expect((await statuses()).some((status) => status.service === 'backup')).toBe(false);
  });

  it('is refused with 403 for a monitor, which may only clear and acknowledge', async () => {
    const answer = await fixture.call('POST', '/api/v1/status/viewer', {
      user: 'viewer',
      body: { severity: 'ok', message: 'x' },
    });
    expect(answer.status).toBe(403);
  });

  it('names the field at fault', async () => {
    const answer = await fixture.call('POST', '/api/v1/status/cron', {
      user: 'cron',
      body: { severity: 'critical', message: 'x' },
    });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({
      code: 'PIMINDER_ERR_HTTP_BAD_FIELD',
      field: 'severity',
      message: 'severity must be one of ok, info, minor, major',
    });

    const unknown = await fixture.call('POST', '/api/v1/status/cron', {
      user: 'cron',
      body: { severity: 'ok', message: 'x', colour: 'red' },
    });
    expect(unknown.json).toMatchObject({ field: 'colour', message: 'unknown field colour' });
  });
});

describe('reading statuses over HTTP', () => {
  it('lists a status reported over MQTT in the JSON and the legacy API', async () => {
    const service = await mqttClient('backup');
    const report = { severity: 'minor', message: 'tape nearly full' };
    await service.publishAsync('piminder/status/backup/tape', JSON.stringify(report), {
      qos: 1,
      retain: true,
    });

    const listed = await eventually(
      async () => (await statuses()).find((status) => status.service === 'backup'),
      'the MQTT report in /api/v1/status',
    );
    expect(listed).toMatchObject({ check: 'tape', severity: 'minor', message: 'tape nearly full' });

    const legacy = await fixture.call('GET', '/api/messages/', { user: 'viewer' });
    expect(Object.values(legacy.json as object)).toContainEqual({
      messageId: listed.id,
      name: 'backup/tape',
      read: false,
      errorLevel: 'minor',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      message: 'tape nearly full',
    });

    const one = await fixture.call('GET', '/api/v1/status/backup/tape', { user: 'viewer' });
    expect(one.json).toEqual({ topic: 'piminder/status/backup/tape', status: listed });
  });

  it('answers 404 for a status that does not exist and 403 to a service', async () => {
    const missing = await fixture.call('GET', '/api/v1/status/nothing', { user: 'viewer' });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'PIMINDER_ERR_HTTP_NOT_FOUND' });

    const service = await fixture.call('GET', '/api/v1/status', { user: 'cron' });
    expect(service.status).toBe(403);
    expect(service.json).toMatchObject({ message: expect.stringContaining('may not read') });
  });
});

describe('acknowledging and clearing over HTTP', () => {
  it('acknowledges the current status for a monitor, idempotently', async () => {
    await fixture.call('POST', '/api/v1/status/cron/ack-me', {
      user: 'cron',
      body: { severity: 'major', message: 'help' },
    });
    const refused = await fixture.call('POST', '/api/v1/ack/cron/ack-me', { user: 'cron' });
    expect(refused.status).toBe(403);

    const answer = await fixture.call('POST', '/api/v1/ack/cron/ack-me', { user: 'viewer' });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ status: { acknowledged: true, message: 'help' } });
    const again = await fixture.call('POST', '/api/v1/ack/cron/ack-me', { user: 'viewer' });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ status: { acknowledged: true } });
  });

  it('refuses an acknowledgement for an id that is no longer current with 409', async () => {
    await fixture.call('POST', '/api/v1/status/cron/changing', {
      user: 'cron',
      body: { severity: 'minor', message: 'first' },
    });
    const answer = await fixture.call('POST', '/api/v1/ack/cron/changing', {
      user: 'viewer',
      body: { id: 'an-old-id' },
    });
    expect(answer.status).toBe(409);
    expect(answer.json).toMatchObject({ code: 'PIMINDER_ERR_HTTP_CONFLICT', field: 'id' });
    const current = await fixture.call('GET', '/api/v1/status/cron/changing', { user: 'viewer' });
    expect(current.json).toMatchObject({ status: { acknowledged: false } });
  });

  it('clears a status, which an MQTT monitor sees as an empty retained message', async () => {
    await fixture.call('POST', '/api/v1/status/cron/temp', {
      user: 'cron',
      body: { severity: 'info', message: 'temporary' },
    });
    const monitor = await mqttClient('panel');
    const payloads: number[] = [];
    monitor.on('message', (topic, payload) => {
      if (topic === 'piminder/status/cron/temp') payloads.push(payload.length);
    });
    await monitor.subscribeAsync('piminder/status/cron/temp', { qos: 1 });
    await eventually(() => (payloads.length > 0 ? true : undefined), 'the retained status');

    const answer = await fixture.call('DELETE', '/api/v1/status/cron/temp', { user: 'cron' });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ topic: 'piminder/status/cron/temp', cleared: true });
    await eventually(() => (payloads.includes(0) ? true : undefined), 'the clearing message');
    const gone = await fixture.call('GET', '/api/v1/status/cron/temp', { user: 'viewer' });
    expect(gone.status).toBe(404);

    const twice = await fixture.call('DELETE', '/api/v1/status/cron/temp', { user: 'cron' });
    expect(twice.status).toBe(404);
  });
});

describe('the event stream', () => {
  it('sends a snapshot and then each change', async () => {
    const events: Array<{ event: string; data: unknown }> = [];
    let buffered = '';
    const request = httpsRequest({
      host: '127.0.0.1',
      port: fixture.bridgePort,
      path: '/api/v1/events',
      ca: fixture.pki.ca,
      ...fixture.pki.client('panel'),
      agent: false,
    });
    request.on('response', (response) => {
      expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      response.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const frames = buffered.split('\n\n');
        buffered = frames.pop() ?? '';
        for (const frame of frames) {
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event === undefined || data === undefined) continue;
          events.push({ event, data: JSON.parse(data) });
        }
      });
    });
    request.on('error', () => undefined);
    request.end();

    try {
      await eventually(() => events.find((e) => e.event === 'snapshot'), 'the snapshot');
      await fixture.call('POST', '/api/v1/status/cron/streamed', {
        user: 'cron',
        body: { severity: 'minor', message: 'live' },
      });
      const change = await eventually(
        () =>
          events.find(
            (e) =>
              e.event === 'status' &&
              (e.data as { topic: string }).topic === 'piminder/status/cron/streamed',
          ),
        'the status event',
      );
      expect(change.data).toMatchObject({ status: { message: 'live', severity: 'minor' } });
    } finally {
      request.destroy();
    }
  });

  it('is refused to a service', async () => {
    const answer = await fixture.call('GET', '/api/v1/events', { user: 'cron' });
    expect(answer.status).toBe(403);
  });
});
