import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config.js';
import { loadMonitorConfig } from '../../monitor/config.js';
import { tempDir } from '../helpers/temp-dir.js';

const dirs: Array<{ remove: () => void }> = [];
afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));

function fileWith(config: unknown): string {
  const dir = tempDir('monitor-config');
  dirs.push(dir);
  const path = join(dir.path, 'monitor.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

function refusal(config: unknown): string {
  try {
    loadMonitorConfig({ file: fileWith(config), env: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('configuration was accepted');
}

/** The sample from the issue and the README: these keys must work. */
const SAMPLE = {
  broker: { url: 'mqtts://127.0.0.1:8883', certs: './certs', identity: 'monitor' },
  linkDownAfter: 15,
  outputs: [
    { name: 'red', line: 17, when: ['major'], pattern: 'blink', periodMs: 500 },
    { name: 'amber', line: 27, when: ['minor', 'stale'] },
    { name: 'green', line: 22, when: ['all-clear'] },
    { name: 'buzzer', line: 23, when: ['major'], pattern: 'beep' },
    { name: 'link', line: 24, when: ['link-down'], pattern: 'blink', periodMs: 1000 },
  ],
  inputs: [{ name: 'ack', line: 5, action: 'ack-all' }],
};

describe('monitor config', () => {
  it('accepts the example config shipped beside the code', () => {
    const file = fileURLToPath(new URL('../../monitor/monitor.example.json', import.meta.url));
    const example = loadMonitorConfig({ file, env: {} });
    expect(example.outputs.map((output) => output.name)).toEqual(
      SAMPLE.outputs.map((output) => output.name),
    );
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(SAMPLE);
  });

  it('accepts the sample config and fills in defaults', () => {
    const config = loadMonitorConfig({ file: fileWith(SAMPLE), env: {} });

    expect(config.broker).toEqual({
      url: 'mqtts://127.0.0.1:8883',
      certs: './certs',
      identity: 'monitor',
      keepalive: 10,
    });
    expect(config.linkDownAfter).toBe(15);
    expect(config.topicPrefix).toBe('piminder');
    expect(config.gpio).toEqual({ backend: 'auto', root: '/sys/class/gpio' });
    expect(config.outputs[1]).toEqual({
      name: 'amber',
      line: 27,
      when: ['minor', 'stale'],
      pattern: 'steady',
      activeLow: false,
    });
    expect(config.inputs[0]).toEqual({
      name: 'ack',
      line: 5,
      action: 'ack-all',
      debounceMs: 50,
      activeLow: true,
    });
  });

  it('takes --simulate through the flag of gpio.backend and overrides from the environment', () => {
    const config = loadMonitorConfig({
      file: fileWith(SAMPLE),
      env: { PIMINDER_LINK_DOWN_AFTER: '3' },
      flags: { 'gpio.backend': 'simulated' },
    });
    expect(config.gpio.backend).toBe('simulated');
    expect(config.linkDownAfter).toBe(3);
  });

  it('refuses a line used by two outputs, naming both keys', () => {
    const outputs = [...SAMPLE.outputs, { name: 'blue', line: 17, when: ['info'] }];
    expect(refusal({ ...SAMPLE, outputs })).toContain(
      'outputs.5.line: line 17 is already used by outputs.0',
    );
  });

  it('refuses a line used by two inputs', () => {
    const inputs = [...SAMPLE.inputs, { name: 'clear', line: 5, action: 'clear-acked' }];
    expect(refusal({ ...SAMPLE, inputs })).toContain(
      'inputs.1.line: line 5 is already used by inputs.0',
    );
  });

  it('refuses a line used as both input and output', () => {
    const inputs = [{ name: 'ack', line: 22, action: 'ack-all' }];
    expect(refusal({ ...SAMPLE, inputs })).toContain(
      'inputs.0.line: line 22 is already used by outputs.2; a line is either an input or an output',
    );
  });

  it('refuses an unknown condition, naming the key and the choices', () => {
    const outputs = [{ name: 'red', line: 17, when: ['major', 'critical'] }];
    expect(refusal({ ...SAMPLE, outputs })).toContain(
      'outputs.0.when.1: must be one of major, minor, info, stale, link-down, all-clear',
    );
  });

  it('refuses an unknown pattern', () => {
    const outputs = [{ name: 'red', line: 17, when: ['major'], pattern: 'strobe' }];
    expect(refusal({ ...SAMPLE, outputs })).toContain(
      'outputs.0.pattern: must be one of steady, blink, beep',
    );
  });

  it('refuses an unknown action', () => {
    const inputs = [{ name: 'ack', line: 5, action: 'ack-everything' }];
    expect(refusal({ ...SAMPLE, inputs })).toContain(
      'inputs.0.action: must be one of ack-all, ack-top, clear-acked',
    );
  });

  it('refuses an output without conditions', () => {
    const outputs = [{ name: 'red', line: 17, when: [] }];
    expect(refusal({ ...SAMPLE, outputs })).toContain('outputs.0.when: must name at least one');
  });

  it('refuses a duplicate name across outputs and inputs', () => {
    const inputs = [{ name: 'red', line: 5, action: 'ack-all' }];
    expect(refusal({ ...SAMPLE, inputs })).toContain(
      'inputs.0.name: name "red" is already used by outputs.0',
    );
  });

  it('refuses timing that does not fit the pattern', () => {
    const steady = [{ name: 'red', line: 17, when: ['major'], periodMs: 500 }];
    expect(refusal({ ...SAMPLE, outputs: steady })).toContain(
      'outputs.0.periodMs: applies only to the blink and beep patterns',
    );

    const beep = { name: 'bz', line: 23, when: ['major'], pattern: 'beep' };
    const long = [{ ...beep, beepMs: 900, periodMs: 800 }];
    expect(refusal({ ...SAMPLE, outputs: long })).toContain(
      'outputs.0.beepMs: must be shorter than the period (800 ms)',
    );
  });

  it('refuses negative, fractional and out-of-range line numbers', () => {
    const at = (line: unknown) => refusal({ outputs: [{ name: 'red', line, when: ['major'] }] });
    expect(at(-1)).toContain('outputs.0.line: must be 0 or more');
    expect(at(17.5)).toContain('outputs.0.line: must be a whole GPIO line number');
    expect(at(4096)).toContain('outputs.0.line: must be at most 1023');
    expect(at('17')).toContain('outputs.0.line: must be a GPIO line number');
  });

  it('refuses unknown keys and a bad broker url', () => {
    expect(refusal({ ...SAMPLE, colour: 'red' })).toContain('unknown key colour');
    expect(refusal({ broker: { url: 'http://127.0.0.1' } })).toContain(
      'broker.url: must start with mqtts:// or mqtt://',
    );
    expect(refusal({ linkDownAfter: 0 })).toContain('linkDownAfter');
  });

  it('refuses a reconnect ceiling below its floor', () => {
    expect(refusal({ reconnect: { minMs: 5000, maxMs: 1000 } })).toContain(
      'reconnect.maxMs: must be at least reconnect.minMs (5000)',
    );
  });
});
