import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { usersFile } from '../../bridge/users/user-store.js';
import { brokerReady, eventually, startFixture, type Fixture } from './bridge-fixture.js';

const fixtures: Fixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((fixture) => fixture.close()));
});

async function fixtureWith(options: Parameters<typeof startFixture>[0]): Promise<Fixture> {
  const fixture = await startFixture(options);
  fixtures.push(fixture);
  return fixture;
}

/** The value of one sample line of the Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/healthz', () => {
  it('answers 503 without credentials while the broker is unreachable', async () => {
    const fixture = await fixtureWith({ broker: false });
    const answer = await fixture.call('GET', '/healthz');
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject({
      status: 'unavailable',
      broker: { connected: false },
      store: { users: 'ok' },
    });
  });

  it('refuses reports with 503 while the broker is unreachable, and counts them', async () => {
    const fixture = await fixtureWith({ broker: false });
    const answer = await fixture.call('POST', '/api/v1/status/cron', {
      user: 'cron',
      body: { severity: 'ok', message: 'x' },
    });
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject({
      code: 'PIMINDER_ERR_HTTP_BROKER_UNAVAILABLE',
      message: 'the bridge is not connected to the broker',
    });
    const legacy = await fixture.call('POST', '/api/messages/', {
      user: 'cron',
      body: { name: 'n', message: 'm', errorlevel: 'info', timestamp: '2026-12-03T10:00:00Z' },
    });
    expect(legacy.status).toBe(503);
    expect(legacy.json).toMatchObject({ error: 503 });

    const text = (await fixture.call('GET', '/metrics', { user: 'boss' })).text;
    const refused = 'piminder_bridge_reports_refused_total{api=';
    expect(sample(text, `${refused}"json",reason="broker_unavailable"}`)).toBe(1);
    expect(sample(text, `${refused}"legacy",reason="broker_unavailable"}`)).toBe(1);
  });

  it('answers 200 with a connected broker and 503 when the users file breaks', async () => {
    const fixture = await fixtureWith({});
    await brokerReady(fixture);
    const answer = await fixture.call('GET', '/healthz');
    expect(answer.json).toMatchObject({ status: 'ok', broker: { connected: true } });

    writeFileSync(usersFile(fixture.dataDir), '{ broken');
    const broken = await eventually(async () => {
      const answer = await fixture.call('GET', '/healthz');
      return answer.status === 503 ? answer : undefined;
    }, 'health to notice the broken users file');
    expect(broken.json).toMatchObject({
      status: 'unavailable',
      store: { users: expect.stringContaining('users.json') },
    });
  });

  it('answers 503 once the broker goes away', async () => {
    const fixture = await fixtureWith({});
    await brokerReady(fixture);
    await fixture.broker?.close();
    await eventually(async () => {
      const answer = await fixture.call('GET', '/healthz');
      return answer.status === 503 ? answer : undefined;
    }, 'health to notice the broker is gone');
  });
});

describe('/metrics', () => {
  it('counts reports, refusals, acknowledgements, statuses and requests', async () => {
    const fixture = await fixtureWith({});
    await brokerReady(fixture);
    await fixture.call('POST', '/api/v1/status/cron/a', {
      user: 'cron',
      body: { severity: 'major', message: 'a' },
    });
    await fixture.call('POST', '/api/v1/status/cron/b', {
      user: 'cron',
      body: { severity: 'bad', message: 'b' },
    });
    await fixture.call('POST', '/api/v1/status/other', {
      user: 'cron',
      body: { severity: 'ok', message: 'c' },
    });
    await fixture.call('POST', '/api/v1/ack/cron/a', { user: 'viewer' });

    const answer = await fixture.call('GET', '/metrics', { user: 'viewer' });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain/);
    const text = answer.text;
    expect(sample(text, 'piminder_bridge_reports_accepted_total{api="json"}')).toBe(1);
    const refused = 'piminder_bridge_reports_refused_total{api="json",reason=';
    expect(sample(text, `${refused}"invalid"}`)).toBe(1);
    expect(sample(text, `${refused}"forbidden"}`)).toBe(1);
    expect(sample(text, 'piminder_bridge_acknowledgements_total{api="json"}')).toBe(1);
    expect(sample(text, 'piminder_statuses{severity="major",acknowledged="true"}')).toBe(1);
    expect(sample(text, 'piminder_bridge_broker_connected')).toBe(1);
    expect(sample(text, 'piminder_bridge_event_streams')).toBe(0);
    expect(
      sample(
        text,
        'piminder_bridge_http_requests_total{method="POST",' +
          'route="/api/v1/status/:service/:check",code="400"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'piminder_bridge_http_requests_total{method="POST",' +
          'route="/api/v1/status/:service",code="403"}',
      ),
    ).toBe(1);
  });

  it("needs a reader's credentials unless configured public", async () => {
    const fixture = await fixtureWith({ broker: false });
    expect((await fixture.call('GET', '/metrics')).status).toBe(401);
    expect((await fixture.call('GET', '/metrics', { user: 'cron' })).status).toBe(403);

    await fixture.restartBridge({ publicMetrics: true });
    const open = await fixture.call('GET', '/metrics');
    expect(open.status).toBe(200);
    expect(sample(open.text, 'piminder_bridge_broker_connected')).toBe(0);
  });

  it('counts refused logins under their route and code', async () => {
    const fixture = await fixtureWith({ broker: false });
    await fixture.call('GET', '/api/v1/whoami', { user: ['cron', 'wrong-password'] });
    const text = (await fixture.call('GET', '/metrics', { user: 'boss' })).text;
    const series = 'piminder_bridge_http_requests_total{method="GET",route="/api/v1/whoami",';
    expect(sample(text, `${series}code="401"}`)).toBe(1);
  });
});
