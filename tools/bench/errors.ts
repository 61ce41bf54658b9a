import { PiminderError } from '../../lib/errors.js';

/** What can stop a benchmark run; the code names the problem, the hint the fix. */
export type BenchProblem =
  | 'BROKER_START'
  | 'BROKER_EXIT'
  | 'TIMEOUT'
  | 'CONNECT'
  | 'PUBLISH'
  | 'COUNT_MISMATCH'
  | 'BAD_OPTION'
  | 'NO_PROCESS';

export class BenchError extends PiminderError {
  constructor(problem: BenchProblem, message: string, hint?: string, cause?: unknown) {
    super(`PIMINDER_ERR_BENCH_${problem}`, message, {
      ...(hint === undefined ? {} : { hint }),
      ...(cause === undefined ? {} : { cause }),
    });
    this.name = 'BenchError';
  }
}

/** Rejects with a TIMEOUT BenchError when `work` has not settled within `ms`. */
export async function withDeadline<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const hint = 'the machine may be overloaded; try a smaller --size or a quieter moment';
      reject(new BenchError('TIMEOUT', `${what} did not finish within ${ms} ms`, hint));
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
