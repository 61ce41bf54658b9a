import { PiminderError } from '../lib/errors.js';

export type MonitorProblem =
  | 'GPIO_NO_SYSFS'
  | 'GPIO_NO_CHIP'
  | 'GPIO_LINE_ABSENT'
  | 'GPIO_LINE_INVALID'
  | 'GPIO_LINE_BUSY'
  | 'GPIO_LINE_DENIED'
  | 'GPIO_LINE_FAILED'
  | 'GPIO_BACKEND_UNAVAILABLE'
  | 'CLIENT_FILES'
  | 'NOT_CONNECTED'
  | 'UNKNOWN_INPUT';

/** A refusal of the monitor; the code says what, the hint says what a user can do. */
export class MonitorError extends PiminderError {
  constructor(problem: MonitorProblem, message: string, hint?: string) {
    super(`PIMINDER_ERR_MONITOR_${problem}`, message, hint === undefined ? {} : { hint });
    this.name = 'MonitorError';
  }
}
