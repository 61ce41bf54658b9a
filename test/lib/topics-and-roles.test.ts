import { describe, expect, it } from 'vitest';
import { clientIdAllowed, mayPublish, maySubscribe, type Identity } from '../../lib/roles.js';
import { filterMatches, filterWithin, parseTopic } from '../../lib/topics.js';

const svc: Identity = { name: 'backup', role: 'service' };
const mon: Identity = { name: 'pi', role: 'monitor' };
const bridge: Identity = { name: 'bridge', role: 'bridge' };
const admin: Identity = { name: 'root', role: 'admin' };

describe('topic grammar', () => {
  it('parses service- and check-level status topics and ack topics', () => {
    expect(parseTopic('piminder', 'piminder/status/backup')).toEqual({
      kind: 'status',
      service: 'backup',
      check: undefined,
    });
    expect(parseTopic('piminder', 'piminder/ack/backup/disk')).toEqual({
      kind: 'ack',
      service: 'backup',
      check: 'disk',
    });
  });

  it.each([
    'piminder/status',
    'piminder/status/',
    'piminder/status//disk',
    'piminder/status/a/b/c',
    'piminder/status/+',
    'piminder/status/#',
    'piminder/status/..',
    'piminder/status/has space',
    `piminder/status/${'x'.repeat(65)}`,
    'other/status/backup',
    'piminder/other/backup',
  ])('rejects %s', (topic) => {
    expect(parseTopic('piminder', topic)).toBeUndefined();
  });

  it('never lets a leading wildcard match a $ topic', () => {
    expect(filterMatches('#', '$SYS/broker/uptime')).toBe(false);
    expect(filterMatches('+/broker/uptime', '$SYS/broker/uptime')).toBe(false);
    expect(filterMatches('$SYS/#', '$SYS/broker/uptime')).toBe(true);
  });

  it('matches + on one level only and # on the rest', () => {
    expect(filterMatches('piminder/status/+', 'piminder/status/a')).toBe(true);
    expect(filterMatches('piminder/status/+', 'piminder/status/a/b')).toBe(false);
    expect(filterMatches('piminder/status/#', 'piminder/status/a/b')).toBe(true);
  });

  it('matches exactly as the level-by-level rule of MQTT 4.7, for every short combination', () => {
    // The rule written the plain way: split both into levels and compare them in turn.
    const byLevels = (filter: string, topic: string): boolean => {
      const f = filter.split('/');
      const t = topic.split('/');
      if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
      for (let i = 0; i < f.length; i++) {
        if (f[i] === '#') return true;
        if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
      }
      return f.length === t.length;
    };
    const words = ['a', 'b', '', '+', '#', '$SYS', 'ab', 'a+'];
    const upTo = (levels: number): string[] =>
      levels === 0
        ? ['']
        : words.flatMap((word) => [word, ...upTo(levels - 1).map((rest) => `${word}/${rest}`)]);
    const strings = [...new Set(upTo(3))];

    const disagreements: string[] = [];
    for (const filter of strings) {
      for (const topic of strings) {
        if (filterMatches(filter, topic) !== byLevels(filter, topic)) {
          disagreements.push(`${JSON.stringify(filter)} on ${JSON.stringify(topic)}`);
        }
      }
    }
    expect(strings.length).toBeGreaterThan(1000);
    expect(disagreements).toEqual([]);
  });

  it('knows when one filter lies within another', () => {
    expect(filterWithin('piminder/status/+', 'piminder/status/#')).toBe(true);
    expect(filterWithin('piminder/#', 'piminder/status/#')).toBe(false);
    expect(filterWithin('piminder/+/x', 'piminder/status/#')).toBe(false);
    expect(filterWithin('#', 'piminder/#')).toBe(false);
  });
});

describe('access table', () => {
  it('lets a service publish only under its own name', () => {
    expect(mayPublish(svc, 'piminder', 'piminder/status/backup', false).allowed).toBe(true);
    expect(mayPublish(svc, 'piminder', 'piminder/status/backup/disk', false).allowed).toBe(true);
    expect(mayPublish(svc, 'piminder', 'piminder/status/web', false).allowed).toBe(false);
    expect(mayPublish(svc, 'piminder', 'piminder/ack/backup', true).allowed).toBe(false);
  });

  it('lets a monitor acknowledge and clear but not report', () => {
    expect(mayPublish(mon, 'piminder', 'piminder/ack/backup', false).allowed).toBe(true);
    expect(mayPublish(mon, 'piminder', 'piminder/status/backup', true).allowed).toBe(true);
    expect(mayPublish(mon, 'piminder', 'piminder/status/backup', false).allowed).toBe(false);
  });

  it('keeps $ topics for admins', () => {
    expect(mayPublish(bridge, 'piminder', '$SYS/x', false).allowed).toBe(false);
    expect(maySubscribe(bridge, 'piminder', '$SYS/#').allowed).toBe(false);
    expect(maySubscribe(admin, 'piminder', '$SYS/#').allowed).toBe(true);
  });

  it('limits subscriptions by role', () => {
    expect(maySubscribe(svc, 'piminder', 'piminder/status/backup').allowed).toBe(false);
    expect(maySubscribe(mon, 'piminder', 'piminder/status/#').allowed).toBe(true);
    expect(maySubscribe(mon, 'piminder', 'piminder/#').allowed).toBe(false);
    expect(maySubscribe(mon, 'piminder', '#').allowed).toBe(false);
    expect(maySubscribe(bridge, 'piminder', 'piminder/#').allowed).toBe(true);
    expect(maySubscribe(bridge, 'piminder', '#').allowed).toBe(false);
  });

  it('ties the client id to the certificate name', () => {
    expect(clientIdAllowed(svc, 'backup')).toBe(true);
    expect(clientIdAllowed(svc, 'backup:nightly')).toBe(true);
    expect(clientIdAllowed(svc, 'backupx')).toBe(false);
    expect(clientIdAllowed(svc, 'web')).toBe(false);
    expect(clientIdAllowed(admin, 'anything')).toBe(true);
  });
});
