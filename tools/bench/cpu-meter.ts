import { readCpuMs } from './proc-stats.js';

/** CPU time a process uses between marks, in ms: the cost of each step, all threads. */
export class CpuMeter {
  readonly #pid: number;
  #mark: number;

  constructor(pid: number) {
    this.#pid = pid;
    this.#mark = readCpuMs(pid);
  }

  /** Starts counting from now. */
  reset(): void {
    this.#mark = readCpuMs(this.#pid);
  }

  /** CPU time used since the last mark; the next count starts now. */
  lap(): number {
    const now = readCpuMs(this.#pid);
    const used = now - this.#mark;
    this.#mark = now;
    return used;
  }
}
