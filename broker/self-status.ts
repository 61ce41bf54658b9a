import type { Logger } from '../lib/logger.js';
import type { Report } from '../lib/status-payload.js';
import { statusTopic } from '../lib/topics.js';
import { BROKER_SERVICE } from '../lib/names.js';
import type { QoS } from './retained-store.js';
import type { StatusBook } from './status-book.js';
import type { StatusWriter } from './status-writer.js';
import type { TopicQueue } from './topic-queue.js';

const DAY_MS = 24 * 3600 * 1000;

/** Certificates are reported minor this many days before they expire, major from the next. */
export const CERT_MINOR_DAYS = 30;
export const CERT_MAJOR_DAYS = 7;

export interface CertificateDates {
  serverNotAfter: Date;
  caNotAfter: Date;
}

/** The certificates check: the sooner of the server and CA expiries decides. */
export function certificateReport(dates: CertificateDates, now: Date): Report {
  const server = { what: 'server certificate', notAfter: dates.serverNotAfter };
  const ca = { what: 'CA certificate', notAfter: dates.caNotAfter };
  const first = server.notAfter.getTime() <= ca.notAfter.getTime() ? server : ca;
  const days = Math.floor((first.notAfter.getTime() - now.getTime()) / DAY_MS);
  const when = `${first.what} expires on ${first.notAfter.toISOString().slice(0, 10)}`;

  if (days < CERT_MAJOR_DAYS) return { severity: 'major', message: `${when} (${days} days)` };
  if (days < CERT_MINOR_DAYS) return { severity: 'minor', message: `${when} (${days} days)` };
  return { severity: 'ok', message: when };
}

export interface SelfStatusContext {
  prefix: string;
  book: StatusBook;
  writer: StatusWriter;
  queue: TopicQueue;
  log: Logger;
  deliver: (topic: string, payload: Buffer, qos: QoS) => void;
  /** The dates of the certificates in use now (they change when the CA file is reloaded). */
  certificates: () => CertificateDates;
  intervalMs: number;
}

/**
 * The broker's own statuses on `<prefix>/status/piminder/broker` (ok while it runs) and
 * `<prefix>/status/piminder/certificates`. They go through the book like any report, so an
 * unchanged repeat keeps its id and acknowledgement.
 */
export class SelfStatus {
  readonly #context: SelfStatusContext;
  #timer: NodeJS.Timeout | undefined;

  constructor(context: SelfStatusContext) {
    this.#context = context;
  }

  async start(): Promise<void> {
    await this.#report('broker', { severity: 'ok', message: 'broker running' });
    await this.checkCertificates();
    this.#timer = setInterval(() => void this.checkCertificates(), this.#context.intervalMs);
    this.#timer.unref();
  }

  async checkCertificates(): Promise<void> {
    const report = certificateReport(this.#context.certificates(), new Date());
    await this.#report('certificates', report);
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async #report(check: string, report: Report): Promise<void> {
    const { prefix, book, writer, queue, deliver, log } = this.#context;
    const topic = statusTopic(prefix, BROKER_SERVICE, check);
    try {
      await queue.run(topic, async () => {
        const status = book.normalise(
          topic,
          { kind: 'status', service: BROKER_SERVICE, check },
          report,
        );
        deliver(topic, await writer.put(topic, status, 1), 1);
      });
    } catch (error) {
      log.error({ topic, err: error }, 'own status not stored');
    }
  }
}
