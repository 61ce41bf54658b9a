import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { TestPki } from '../helpers/pki.js';

/** Polls until `condition` holds; generous by default, for a loaded 2-core machine. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

/** Connection options for an MQTT client presenting `files` to the broker on `port`. */
export function tlsOptions(
  port: number,
  files: TlsFiles,
  extra: IClientOptions = {},
): IClientOptions {
  return {
    host: '127.0.0.1',
    port,
    protocol: 'mqtts',
    cert: files.cert,
    key: files.key,
    ca: files.ca,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...extra,
  };
}

/** Tracks clients so that afterEach can end every one a test opened. */
export class Clients {
  readonly #open: MqttClient[] = [];
  readonly #sessionPresent = new WeakMap<MqttClient, boolean>();

  /** Connects as an issued identity; the client id defaults to `<name>:test-<n>`. */
  async connect(pki: TestPki, port: number, name: string, extra: IClientOptions = {}) {
    const files = { ...pki.client(name), ca: pki.ca };
    const clientId = `${name}:test-${this.#open.length}`;
    return this.connectWith(port, files, { clientId, ...extra });
  }

  /** Connects with the given files; rejects with the error or CONNACK refusal. */
  async connectWith(
    port: number,
    files: TlsFiles,
    extra: IClientOptions = {},
  ): Promise<MqttClient> {
    const client = mqtt.connect(tlsOptions(port, files, extra));
    this.#open.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', (connack) => {
        this.#sessionPresent.set(client, connack.sessionPresent);
        resolve();
      });
      client.once('error', reject);
      client.once('close', () => reject(new Error('connection closed before CONNACK')));
    });
    return client;
  }

  /** The session-present flag of the CONNACK that accepted `client` [MQTT-3.2.2-1]. */
  sessionPresent(client: MqttClient): boolean {
    const flag = this.#sessionPresent.get(client);
    if (flag === undefined) throw new Error('no CONNACK recorded for this client');
    return flag;
  }

  /** A connection attempt that must fail; resolves with the error or close it ended in. */
  async refused(port: number, files: TlsFiles, extra: IClientOptions = {}): Promise<string> {
    try {
      await this.connectWith(port, files, extra);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('the connection was accepted');
  }

  async endAll(): Promise<void> {
    await Promise.all(this.#open.splice(0).map((client) => client.endAsync(true)));
  }
}

/** Collects messages per topic as a subscriber receives them. */
export class Inbox {
  readonly messages: Array<{
    topic: string;
    payload: Buffer;
    retain: boolean;
    qos: number;
    at: number;
  }> = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({
        topic,
        payload,
        retain: packet.retain,
        qos: packet.qos,
        at: Date.now(),
      });
    });
  }

  on(topic: string) {
    return this.messages.filter((message) => message.topic === topic);
  }

  json(topic: string): Array<Record<string, unknown>> {
    return this.on(topic).map(
      (message) => JSON.parse(message.payload.toString()) as Record<string, unknown>,
    );
  }
}

let sentinelCount = 0;

/**
 * Every retained status the broker holds, as a new monitor receives them. A fresh sentinel
 * status is published first: retained messages replay in the order they were first stored,
 * so once the sentinel arrives everything else has. Needs the identities `sentinel`
 * (service) and `monitor` in the PKI.
 */
export async function retainedSnapshot(
  clients: Clients,
  pki: TestPki,
  port: number,
  filter = 'piminder/status/#',
): Promise<Map<string, string>> {
  const check = `mark-${process.pid}-${sentinelCount++}`;
  const sentinelTopic = `piminder/status/sentinel/${check}`;
  const sentinel = await clients.connect(pki, port, 'sentinel');
  await sentinel.publishAsync(sentinelTopic, '{"severity":"ok","message":"mark"}', {
    qos: 1,
    retain: true,
  });

  const monitor = await clients.connect(pki, port, 'monitor');
  const inbox = new Inbox(monitor);
  await monitor.subscribeAsync([filter, sentinelTopic], { qos: 1 });
  await waitFor(() => inbox.on(sentinelTopic).length > 0, 'the sentinel status');

  const snapshot = new Map<string, string>();
  for (const message of inbox.messages) {
    if (message.topic.startsWith('piminder/status/sentinel/')) continue;
    if (message.retain) snapshot.set(message.topic, message.payload.toString());
  }
  await Promise.all([sentinel.endAsync(), monitor.endAsync()]);
  return snapshot;
}

/** The QoS the broker granted per filter, 128 for a refusal (which mqtt.js turns into an error). */
export async function grants(client: MqttClient, filters: Record<string, { qos: 0 | 1 | 2 }>) {
  try {
    const granted = await client.subscribeAsync(filters);
    return granted.map((grant) => grant.qos);
  } catch (error) {
    const packet = (error as { packet?: { granted?: number[] } }).packet;
    if (packet?.granted === undefined) throw error;
    return packet.granted;
  }
}
