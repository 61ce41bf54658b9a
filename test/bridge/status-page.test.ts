import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { brokerReady, PASSWORD, startFixture, type Fixture } from './bridge-fixture.js';

/** The live status page in a real headless Chromium, against a real bridge and broker. */
let fixture: Fixture;
let context: BrowserContext;
let page: Page;
const profile = tempDir('chromium');

beforeAll(async () => {
  fixture = await startFixture();
  await brokerReady(fixture);
  context = await chromium.launchPersistentContext(profile.path, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    // The test CA is not in the browser's store; the bridge is still reached over TLS.
    ignoreHTTPSErrors: true,
    httpCredentials: { username: 'viewer', password: PASSWORD },
  });
  page = await context.newPage();
  await page.goto(`https://127.0.0.1:${fixture.bridgePort}/`);
  await page.locator('#who').filter({ hasText: 'viewer' }).waitFor();
});

afterAll(async () => {
  await context?.close();
  await fixture?.close();
  profile.remove();
});

const row = (key: string) => page.locator(`tr[data-key="${key}"]`);

describe('the status page', () => {
  it('shows a new report without a reload, coloured by severity', async () => {
    // A marker on the page's global object survives only as long as the page is not reloaded.
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));

    await fixture.call('POST', '/api/v1/status/cron/backup', {
      user: 'cron',
      body: { severity: 'major', message: 'backup <b>failed</b>' },
    });
    await row('cron/backup').waitFor();

    expect(await row('cron/backup').getAttribute('class')).toContain('severity-major');
    expect(await row('cron/backup').locator('td.message').textContent()).toBe(
      'backup <b>failed</b>',
    );
    expect(await row('cron/backup').locator('td.age').textContent()).toMatch(/^\d+ s$/);
    const marker = await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded);
    expect(marker).toBe(true);
  });

  it('acknowledges with its button, and the mark appears', async () => {
    await fixture.call('POST', '/api/v1/status/cron/disk', {
      user: 'cron',
      body: { severity: 'minor', message: 'disk 91%' },
    });
    await row('cron/disk').locator('button.ack').click();

    await page.locator('tr[data-key="cron/disk"][data-acknowledged="true"]').waitFor();
    expect(await row('cron/disk').locator('td.state').textContent()).toContain('acknowledged');
    expect(await row('cron/disk').locator('button.ack').count()).toBe(0);

    const stored = await fixture.call('GET', '/api/v1/status/cron/disk', { user: 'viewer' });
    expect(stored.json).toMatchObject({ status: { acknowledged: true } });
  });

  it('marks a status whose ttl ran out as stale, counted as minor', async () => {
    await fixture.call('POST', '/api/v1/status/cron/heartbeat', {
      user: 'cron',
      body: { severity: 'ok', message: 'alive', ttl: 1 },
    });
    await row('cron/heartbeat').waitFor();
    await page.locator('tr[data-key="cron/heartbeat"][data-severity="minor"]').waitFor();
    expect(await row('cron/heartbeat').locator('td.state').textContent()).toContain('stale');
    expect(await row('cron/heartbeat').getAttribute('class')).toContain('severity-minor');
  });

  it('removes a cleared status', async () => {
    await fixture.call('POST', '/api/v1/status/cron/gone', {
      user: 'cron',
      body: { severity: 'info', message: 'soon gone' },
    });
    await row('cron/gone').waitFor();
    await fixture.call('DELETE', '/api/v1/status/cron/gone', { user: 'cron' });
    await row('cron/gone').waitFor({ state: 'detached' });
  });

  it('says when it has lost the connection to the bridge', async () => {
    expect(await page.locator('#connection-lost').isVisible()).toBe(false);
    await fixture.stopBridge();
    await page.locator('#connection-lost').waitFor({ state: 'visible' });
    const notice = await page.locator('#connection-lost').textContent();
    expect(notice).toContain('Connection to the bridge lost');
  });
});
