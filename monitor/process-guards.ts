import type { Logger } from '../lib/logger.js';

/** What the guards put in safe state: the running monitor. */
export interface GuardTarget {
  /** Outputs off and lines released, synchronously; harmless when repeated. */
  safeState(): void;
  close(): Promise<void>;
}

export interface ProcessGuards {
  /** The monitor to protect, once it is started; a stop asked for before is carried out. */
  attach(target: GuardTarget): void;
  /** Removes the handlers, for a caller that stops the monitor itself. */
  detach(): void;
}

/** Longest wait for a clean disconnect before the process exits anyway, in milliseconds. */
const STOP_TIMEOUT_MS = 5_000;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Safe state on SIGINT, SIGTERM, an uncaught exception or an unhandled rejection, exactly
 * once: a second Ctrl-C while stopping is logged and changes nothing, and a signal during
 * start-up stops the monitor as soon as it is attached.
 */
export function installProcessGuards(
  log: Logger,
  exit: (code: number) => void = (code) => process.exit(code),
  /** What a crash is logged as: the monitor alone, or `piminder` when it runs every part. */
  name = 'monitor',
): ProcessGuards {
  let target: GuardTarget | undefined;
  let stopping = false;

  const stop = () => {
    if (target === undefined) return;
    const running = target;
    running.safeState();
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref());
    Promise.race([running.close(), timeout]).then(
      () => exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'stop failed');
        exit(1);
      },
    );
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.info({ signal }, 'already stopping');
      return;
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    stop();
  };

  const onFatal = (error: unknown, origin: string) => {
    log.fatal({ err: error, origin }, `${name} crashed`);
    try {
      target?.safeState();
    } finally {
      exit(1);
    }
  };
  const onException = (error: Error) => onFatal(error, 'uncaughtException');
  const onRejection = (reason: unknown) => onFatal(reason, 'unhandledRejection');

  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);

  return {
    attach(next) {
      target = next;
      if (stopping) stop();
    },
    detach() {
      for (const signal of SIGNALS) process.off(signal, onSignal);
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
    },
  };
}
