import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import mqttPacket from 'mqtt-packet';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startTestBroker, type RunningBroker } from '../helpers/broker.js';
import { Clients, retainedSnapshot } from './support.js';
import { closed } from './fixtures.js';

let dir: ReturnType<typeof tempDir>;
let pki: TestPki;
let broker: RunningBroker;
let stored: Map<string, string>;
const clients = new Clients();
const sockets: TLSSocket[] = [];

beforeAll(async () => {
  dir = tempDir('broker-bad-input');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['svc-a', 'service'],
    ['sentinel', 'service'],
    ['monitor', 'monitor'],
    ['admin', 'admin'],
  ]);
  broker = await startTestBroker({
    certsDir: pki.dir,
    dataDir: join(dir.path, 'data'),
    limits: { connectTimeout: 1000 },
  });
  const service = await clients.connect(pki, broker.port, 'svc-a');
  await service.publishAsync('piminder/status/svc-a', '{"severity":"minor","message":"kept"}', {
    qos: 1,
    retain: true,
  });
  await clients.endAll();
  stored = await retainedSnapshot(clients, pki, broker.port);
  expect(stored.has('piminder/status/svc-a')).toBe(true);
});

afterEach(async () => {
  await clients.endAll();
  for (const socket of sockets.splice(0)) socket.destroy();
  // Every case ends with the broker serving and the stored statuses as they were.
  expect(await retainedSnapshot(clients, pki, broker.port)).toEqual(stored);
  await clients.endAll();
});

afterAll(async () => {
  await broker?.close();
  dir?.remove();
});

/** Publishes as svc-a and expects the broker to close the connection. */
async function expectClosedAfterPublish(topic: string, payload: string | Buffer) {
  const client = await clients.connect(pki, broker.port, 'svc-a');
  const gone = closed(client);
  client.publish(topic, payload, { qos: 1, retain: true });
  await gone;
}

/** A TLS socket with svc-a's certificate that speaks raw bytes. */
async function rawSocket(name = 'svc-a'): Promise<TLSSocket> {
  const socket = tlsConnect({
    host: '127.0.0.1',
    port: broker.port,
    ca: pki.ca,
    ...pki.client(name),
  });
  sockets.push(socket);
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
  return socket;
}

function closedSocket(socket: TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once('close', () => resolve());
  });
}

const connectPacket = (clientId: string) =>
  mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId,
    clean: true,
    keepalive: 60,
  });

/** A raw socket past CONNECT, as admin: the access table lets it publish anywhere. */
async function connectedRawSocket(name = 'admin'): Promise<TLSSocket> {
  const socket = await rawSocket(name);
  const connack = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.write(connectPacket(`${name}:raw`));
  await connack;
  return socket;
}

/** A PUBLISH (QoS 1) whose topic is the given bytes. */
function publishWithTopicBytes(topic: Buffer, payload: Buffer): Buffer {
  const body = Buffer.concat([
    Buffer.of(topic.length >> 8, topic.length & 0xff),
    topic,
    Buffer.of(0, 1),
    payload,
  ]);
  return Buffer.concat([Buffer.of(0x33, body.length), body]);
}

describe('bad status payloads are refused, nothing is stored', () => {
  const topic = 'piminder/status/svc-a';

  it('refuses malformed JSON', () => expectClosedAfterPublish(topic, '{"severity": "major"'));
  it('refuses an unknown severity', () =>
    expectClosedAfterPublish(topic, '{"severity":"panic","message":"x"}'));
  it('refuses a missing message', () => expectClosedAfterPublish(topic, '{"severity":"major"}'));
  it('refuses a message over 4 KiB', () =>
    expectClosedAfterPublish(
      topic,
      JSON.stringify({ severity: 'major', message: 'x'.repeat(4097) }),
    ));
  it('refuses unknown fields', () =>
    expectClosedAfterPublish(topic, '{"severity":"ok","message":"","colour":"red"}'));
  it('refuses a ttl that is negative, zero or over a year', async () => {
    for (const ttl of [-5, 0, 366 * 24 * 3600]) {
      await expectClosedAfterPublish(topic, JSON.stringify({ severity: 'ok', message: '', ttl }));
    }
  });
  it('refuses a payload that is not UTF-8', () =>
    expectClosedAfterPublish(topic, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
  it('refuses a JSON value that is not an object', () => expectClosedAfterPublish(topic, '[1,2]'));
});

describe('bad topics are refused', () => {
  it('refuses + and # in a published topic', async () => {
    await expectClosedAfterPublish('piminder/status/svc-a/+', '{"severity":"ok","message":""}');
    await expectClosedAfterPublish('piminder/status/#', '{"severity":"ok","message":""}');
  });

  it('refuses empty topic levels', async () => {
    await expectClosedAfterPublish('piminder/status//svc-a', '{"severity":"ok","message":""}');
    await expectClosedAfterPublish('piminder/status/svc-a/', '{"severity":"ok","message":""}');
  });

  it('closes a socket whose topic holds U+0000', async () => {
    const socket = await connectedRawSocket();
    const gone = closedSocket(socket);
    socket.write(publishWithTopicBytes(Buffer.from('piminder/other\u0000x'), Buffer.from('{}')));
    await gone;
  });

  it('closes a socket whose topic is not valid UTF-8', async () => {
    const socket = await connectedRawSocket();
    const gone = closedSocket(socket);
    const topic = Buffer.concat([Buffer.from('piminder/other/'), Buffer.of(0xc3, 0x28)]);
    socket.write(publishWithTopicBytes(topic, Buffer.from('{}')));
    await gone;
  });
});

describe('broken frames close only their socket', () => {
  it('closes a connection that sends a 1 MiB packet', async () => {
    const big = JSON.stringify({ severity: 'ok', message: 'x'.repeat(1024 * 1024) });
    await expectClosedAfterPublish('piminder/status/svc-a', big);
  });

  it('closes a socket that sends half a CONNECT and waits', async () => {
    const socket = await rawSocket();
    const gone = closedSocket(socket);
    socket.write(connectPacket('svc-a').subarray(0, 6));
    await gone;
  });

  it('closes a CONNECT whose inner lengths run past the frame', async () => {
    const socket = await rawSocket();
    const gone = closedSocket(socket);
    // Remaining length 12, but the protocol name claims 255 bytes.
    socket.write(Buffer.from([0x10, 12, 0x00, 0xff, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 0]));
    await gone;
  });

  it('closes a frame that declares a huge remaining length and stalls', async () => {
    const socket = await rawSocket();
    const gone = closedSocket(socket);
    socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
    await gone;
  });

  it('keeps serving other clients while a socket stalls', async () => {
    const stalled = await rawSocket();
    stalled.write(Buffer.from([0x10, 0x20, 0x00]));
    const service = await clients.connect(pki, broker.port, 'svc-a');
    await service.publishAsync('piminder/status/svc-a/other', '{"severity":"ok","message":""}', {
      qos: 1,
    });
    await service.publishAsync('piminder/status/svc-a/other', '', { qos: 1, retain: true });
    expect(stalled.destroyed).toBe(false);
  });
});
