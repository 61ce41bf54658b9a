import { describe, expect, it } from 'vitest';
import { parseBasic } from '../../bridge/auth/authenticate.js';
import { CredentialCache } from '../../bridge/auth/credential-cache.js';
import { FailureThrottle } from '../../bridge/auth/failure-throttle.js';
import { HttpError } from '../../bridge/errors.js';

function basic(text: string): string {
  return `Basic ${Buffer.from(text).toString('base64')}`;
}

describe('the failure throttle', () => {
  const options = { threshold: 3, baseMs: 100, maxMs: 1000, windowMs: 60_000 };

  it('lets the first failures pass, then doubles the delay up to the cap', () => {
    let now = 0;
    const throttle = new FailureThrottle({ ...options, now: () => now });
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      delays.push(throttle.delayFor('10.0.0.1'));
      throttle.recordFailure('10.0.0.1');
      now += 10;
    }
    expect(delays).toEqual([0, 0, 0, 100, 200, 400, 800, 1000]);
    expect(throttle.delayFor('10.0.0.2')).toBe(0);
  });

  it('forgets an address after a success or after the window', () => {
    let now = 0;
    const throttle = new FailureThrottle({ ...options, now: () => now });
    for (let i = 0; i < 4; i++) throttle.recordFailure('a');
    for (let i = 0; i < 4; i++) throttle.recordFailure('b');
    expect(throttle.delayFor('a')).toBe(200);

    throttle.recordSuccess('a');
    expect(throttle.delayFor('a')).toBe(0);
    now += 60_001;
    expect(throttle.delayFor('b')).toBe(0);
  });
});

describe('the credential cache', () => {
  it('remembers a verified password until it expires, and only that password', () => {
    let now = 0;
    const cache = new CredentialCache(1000, () => now);
    cache.remember('cron', 'pass-word', 'salt1');
    expect(cache.has('cron', 'pass-word', 'salt1')).toBe(true);
    expect(cache.has('cron', 'pass-wore', 'salt1')).toBe(false);
    expect(cache.has('cron', 'pass-word', 'salt2')).toBe(false);
    expect(cache.has('other', 'pass-word', 'salt1')).toBe(false);
    now = 1000;
    expect(cache.has('cron', 'pass-word', 'salt1')).toBe(false);
  });

  it('shares one slow check among concurrent logins and remembers only successes', async () => {
    const cache = new CredentialCache(60_000);
    let checks = 0;
    const check = (result: boolean) => async () => {
      checks += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return result;
    };
    const wave = await Promise.all(
      Array.from({ length: 5 }, () => cache.verify('cron', 'right', 'salt', check(true))),
    );
    expect(wave).toEqual([true, true, true, true, true]);
    expect(checks).toBe(1);
    expect(await cache.verify('cron', 'right', 'salt', check(false))).toBe(true);
    expect(checks).toBe(1);

    expect(await cache.verify('cron', 'wrong', 'salt', check(false))).toBe(false);
    expect(await cache.verify('cron', 'wrong', 'salt', check(false))).toBe(false);
    expect(checks).toBe(3);
  });

  it('remembers nothing when its time is 0', () => {
    const cache = new CredentialCache(0);
    cache.remember('cron', 'pass-word', 'salt1');
    expect(cache.has('cron', 'pass-word', 'salt1')).toBe(false);
  });
});

describe('HTTP Basic parsing', () => {
  it('splits at the first colon, so passwords may hold colons', () => {
    expect(parseBasic(basic('cron:a:b:c'))).toEqual({ name: 'cron', password: 'a:b:c' });
    expect(parseBasic(`basic ${Buffer.from('x:y').toString('base64')}`)).toEqual({
      name: 'x',
      password: 'y',
    });
  });

  it.each([
    [undefined, 'credentials are missing'],
    ['', 'credentials are missing'],
    ['Bearer abc', 'not HTTP Basic'],
    ['Basic !!!', 'not HTTP Basic'],
    [basic('no-colon'), 'not "user:password"'],
    [basic(':password'), 'not "user:password"'],
  ])('refuses %j with 401: %s', (header, reason) => {
    let refused: unknown;
    try {
      parseBasic(header);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(HttpError);
    expect((refused as HttpError).status).toBe(401);
    expect((refused as HttpError).message).toContain(reason);
  });
});
