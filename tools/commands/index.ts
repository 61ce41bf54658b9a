import type { Command } from 'commander';
import { register as registerBridge } from './bridge.js';
import { register as registerBroker } from './broker.js';
import { register as registerCerts } from './certs.js';
import { register as registerMonitor } from './monitor.js';
import { register as registerPublish } from './publish.js';
import { register as registerStart } from './start.js';
import { register as registerStatus } from './status.js';
import { register as registerUsers } from './users.js';

/** Every subcommand of `piminder`, in the order `--help` lists them. */
export const commands: Array<(program: Command) => void> = [
  registerStart,
  registerBroker,
  registerBridge,
  registerMonitor,
  registerCerts,
  registerUsers,
  registerPublish,
  registerStatus,
];
