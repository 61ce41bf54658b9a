import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config.js';
import { brokerConfigSchema } from '../../broker/index.js';

describe('broker configuration', () => {
  it('ships an example file that names every key with its default', () => {
    const file = fileURLToPath(new URL('../../broker/broker.example.json', import.meta.url));
    expect(loadConfig(brokerConfigSchema, { file, env: {} })).toEqual(
      loadConfig(brokerConfigSchema, { env: {} }),
    );
    const keys = Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object);
    expect(keys.sort()).toEqual(Object.keys(brokerConfigSchema.shape).sort());
  });

  it('has defaults for everything', () => {
    const config = loadConfig(brokerConfigSchema, { env: {} });
    expect(config).toMatchObject({
      certs: './certs',
      data: './data',
      host: '127.0.0.1',
      port: 8883,
      topicPrefix: 'piminder',
      durability: 'fsync',
      limits: { maxPacketSize: 65_536, connectTimeout: 10_000, handshakeTimeout: 10_000 },
    });
  });

  it('takes keys from the environment and flags, flags last', () => {
    const config = loadConfig(brokerConfigSchema, {
      env: {
        PIMINDER_CERTS: '/etc/piminder/certs',
        PIMINDER_PORT: '9000',
        PIMINDER_LIMITS_MAX_CONNECTIONS: '5',
      },
      flags: { port: '0', durability: 'os' },
    });
    expect(config.certs).toBe('/etc/piminder/certs');
    expect(config.port).toBe(0);
    expect(config.durability).toBe('os');
    expect(config.limits.maxConnections).toBe(5);
  });

  it('refuses bad values naming the key and where it came from', () => {
    const attempt = (env: NodeJS.ProcessEnv) => () => loadConfig(brokerConfigSchema, { env });
    expect(attempt({ PIMINDER_PORT: '70000' })).toThrow(/port: .*\(from PIMINDER_PORT\)/);
    expect(attempt({ PIMINDER_DURABILITY: 'sometimes' })).toThrow(ConfigError);
    expect(attempt({ PIMINDER_TOPIC_PREFIX: 'a/b' })).toThrow(/topicPrefix/);
    expect(attempt({ PIMINDER_LIMITS_MAX_PACKET_SIZE: '10' })).toThrow(/limits.maxPacketSize/);
  });
});
