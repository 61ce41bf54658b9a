import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, envName, loadConfig } from '../../lib/config.js';
import { tempDir } from '../helpers/temp-dir.js';

const schema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(8883),
  verbose: z.boolean().default(false),
  limits: z
    .strictObject({ maxPacketSize: z.number().int().positive().default(65536) })
    .prefault({}),
});

const dirs: Array<{ remove: () => void }> = [];
afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));

function configFile(content: string): string {
  const dir = tempDir('config');
  dirs.push(dir);
  const path = join(dir.path, 'piminder.json');
  writeFileSync(path, content);
  return path;
}

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('configuration was accepted');
}

describe('config loading', () => {
  it('derives environment names from key paths', () => {
    expect(envName('port')).toBe('PIMINDER_PORT');
    expect(envName('limits.maxPacketSize')).toBe('PIMINDER_LIMITS_MAX_PACKET_SIZE');
  });

  it('uses defaults, then the file, then the environment, then flags', () => {
    const file = configFile('{"port": 1000, "host": "0.0.0.0"}');
    const config = loadConfig(schema, {
      file,
      env: { PIMINDER_PORT: '2000', PIMINDER_LIMITS_MAX_PACKET_SIZE: '1024' },
      flags: { host: '::1' },
    });
    expect(config).toEqual({
      host: '::1',
      port: 2000,
      verbose: false,
      limits: { maxPacketSize: 1024 },
    });
  });

  it('freezes the result', () => {
    const config = loadConfig(schema, { env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
  });

  it('names the key and the source of a bad value', () => {
    expect(messageOf(() => loadConfig(schema, { env: { PIMINDER_PORT: 'eighty' } }))).toMatch(
      /port: .*\(from PIMINDER_PORT\)/,
    );
    const file = configFile('{"limits": {"maxPacketSize": -1}}');
    expect(messageOf(() => loadConfig(schema, { file, env: {} }))).toMatch(
      /limits\.maxPacketSize: .*\(from .*piminder\.json\)/,
    );
  });

  it('says in plain words what a bad value must be, and what it was', () => {
    const flagged = (flags: Record<string, string>) =>
      messageOf(() => loadConfig(schema, { env: {}, flags }));
    const file = configFile('{"host": "", "verbose": "yes", "limits": {"maxPacketSize": 0}}');

    expect(flagged({ port: 'abc' })).toBe(
      'invalid configuration: port: must be a number, not "abc" (from --port)',
    );
    expect(flagged({ port: '99999' })).toBe(
      'invalid configuration: port: must be at most 65535, not 99999 (from --port)',
    );
    expect(flagged({ port: '0' })).toBe(
      'invalid configuration: port: must be at least 1, not 0 (from --port)',
    );
    expect(messageOf(() => loadConfig(schema, { file, env: {} }))).toBe(
      'invalid configuration: verbose: must be a boolean, not "yes" (from ' +
        `${file}); limits.maxPacketSize: must be more than 0, not 0 (from ${file})`,
    );
  });

  it('refuses unknown keys, a missing file and broken JSON', () => {
    expect(
      messageOf(() => loadConfig(schema, { file: configFile('{"prot": 1}'), env: {} })),
    ).toMatch(/unknown key prot \(from .*piminder\.json\)/);
    expect(messageOf(() => loadConfig(schema, { file: '/nonexistent/p.json', env: {} }))).toMatch(
      /cannot read config file .*ENOENT/,
    );
    expect(messageOf(() => loadConfig(schema, { file: configFile('{"port":'), env: {} }))).toMatch(
      /not valid JSON/,
    );
  });
});
