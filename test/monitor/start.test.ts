import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isPiminderError } from '../../lib/errors.js';
import { SimulatedBackend } from '../../monitor/gpio/simulated-backend.js';
import { startMonitor } from '../../monitor/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { testConfig } from './harness.js';
import { captureLog } from './log-capture.js';

const dirs: Array<{ remove: () => void }> = [];
afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));

describe('monitor start-up', () => {
  it('refuses to start without its certificate, before claiming a line', async () => {
    const dir = tempDir('monitor-start');
    dirs.push(dir);
    const { log, lines } = captureLog();
    const backend = new SimulatedBackend(log);

    const failure = await startMonitor(testConfig(1, dir.path), { log, backend }).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (!isPiminderError(failure)) throw new Error('startMonitor did not refuse');
    expect(failure.code).toBe('PIMINDER_ERR_MONITOR_CLIENT_FILES');
    expect(failure.message).toBe(
      `cannot read certificate ${join(dir.path, 'clients', 'monitor.crt')}: ENOENT`,
    );
    expect(failure.hint).toBe(
      'issue one with "piminder certs issue monitor --role monitor", ' +
        'or set broker.certs and broker.identity',
    );
    expect(backend.outputs()).toEqual([]);
    expect(lines.filter((line) => line.msg === 'output changed')).toEqual([]);
  });
});
