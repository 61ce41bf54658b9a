import { existsSync } from 'node:fs';
import type { Logger } from '../../lib/logger.js';
import { isPiminderError } from '../../lib/errors.js';
import type { MonitorConfig } from '../config.js';
import type { GpioBackend } from './backend.js';
import { loadOnoff, OnoffBackend } from './onoff-backend.js';
import { SimulatedBackend } from './simulated-backend.js';

/**
 * `simulated` and `onoff` are taken as asked (onoff failing with a clear error); `auto` uses
 * onoff where sysfs GPIO and the library are there, and the simulation elsewhere, saying why.
 */
export function chooseBackend(gpio: MonitorConfig['gpio'], log: Logger): GpioBackend {
  const options = { root: gpio.root, chipLabel: gpio.chipLabel };
  switch (gpio.backend) {
    case 'simulated':
      return new SimulatedBackend(log);
    case 'onoff':
      return new OnoffBackend(options, log);
    case 'auto':
      return autoBackend(options, log);
    default:
      return gpio.backend satisfies never;
  }
}

function autoBackend(options: { root: string; chipLabel: string | undefined }, log: Logger) {
  if (!existsSync(options.root)) {
    log.warn({ root: options.root }, 'no sysfs GPIO here: using simulated GPIO');
    return new SimulatedBackend(log);
  }

  try {
    return new OnoffBackend(options, log, loadOnoff());
  } catch (error) {
    const unavailable =
      isPiminderError(error) && error.code === 'PIMINDER_ERR_MONITOR_GPIO_BACKEND_UNAVAILABLE';
    if (!unavailable) throw error;
    log.warn({ reason: error.message }, 'onoff unavailable: using simulated GPIO');
    return new SimulatedBackend(log);
  }
}
