import { Agent, request as httpsRequest } from 'node:https';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerReady, PASSWORD, startFixture, type Fixture } from './bridge-fixture.js';

/**
 * Many clients at once, as the old service could not bear: every request is answered, and
 * every message answered 200 is stored exactly once. Speed itself is measured by the bench.
 */
const CLIENTS = 50;
const DURATION_MS = 4_000;

let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture();
  await brokerReady(fixture);
});
afterAll(async () => fixture?.close());

interface Outcome {
  text: string;
  status: number | 'error';
}

function postOnce(agent: Agent, text: string): Promise<Outcome> {
  const body = JSON.stringify({
    name: 'load',
    message: text,
    errorlevel: 'info',
    timestamp: '2026-12-03T12:00:00Z',
  });
  return new Promise((resolve) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port: fixture.bridgePort,
        method: 'POST',
        path: '/api/messages/',
        ca: fixture.pki.ca,
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Basic ${Buffer.from(`cron:${PASSWORD}`).toString('base64')}`,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ text, status: response.statusCode ?? 0 }));
      },
    );
    request.on('error', () => resolve({ text, status: 'error' }));
    request.end(body);
  });
}

/** One client: its own kept-alive connection, posting until the time is up. */
async function client(index: number, until: number): Promise<Outcome[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const outcomes: Outcome[] = [];
  try {
    for (let n = 0; Date.now() < until; n++) {
      outcomes.push(await postOnce(agent, `load ${index}.${n}`));
    }
  } finally {
    agent.destroy();
  }
  return outcomes;
}

/** The texts of every legacy message the broker holds, read by a fresh MQTT subscriber. */
async function storedTexts(expected: number): Promise<string[]> {
  const monitor = await mqtt.connectAsync(`mqtts://127.0.0.1:${fixture.broker?.port}`, {
    ...fixture.pki.client('panel'),
    ca: fixture.pki.ca,
    clientId: 'panel:load-check',
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  const texts: string[] = [];
  try {
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 60_000);
      monitor.on('message', (_topic, payload) => {
        const message = (JSON.parse(String(payload)) as { message: string }).message;
        if (message.startsWith('load: ')) texts.push(message.slice('load: '.length));
        if (texts.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await monitor.subscribeAsync('piminder/status/cron/#', { qos: 1 });
    await done;
  } finally {
    await monitor.endAsync();
  }
  return texts;
}

function countOf(items: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

describe('under load', () => {
  it(`answers ${CLIENTS} clients posting at once and stores each 200 exactly once`, async () => {
    const until = Date.now() + DURATION_MS;
    const outcomes = (
      await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index, until)))
    ).flat();

    const statuses = countOf(outcomes.map((outcome) => String(outcome.status)));
    expect(Object.fromEntries(statuses)).toEqual({ '200': outcomes.length });
    expect(outcomes.length).toBeGreaterThanOrEqual(CLIENTS);

    const accepted = outcomes.map((outcome) => outcome.text);
    const listed = await fixture.call('GET', '/api/messages/', { user: 'viewer' });
    const body = listed.json as Record<string, { name?: string; message?: string }>;
    const listedTexts = Object.values(body)
      .filter((message) => typeof message === 'object' && message.name === 'load')
      .map((message) => message.message as string);
    const listedCounts = countOf(listedTexts);
    expect(accepted.filter((text) => listedCounts.get(text) !== 1)).toEqual([]);
    expect(listedTexts.length).toBe(accepted.length);

    const stored = countOf(await storedTexts(accepted.length));
    expect(accepted.filter((text) => stored.get(text) !== 1)).toEqual([]);
    expect(stored.size).toBe(accepted.length);
  });
});
