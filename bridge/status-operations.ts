import type { Logger } from '../lib/logger.js';
import { mayPublish, maySubscribe } from '../lib/roles.js';
import type { Report, Status } from '../lib/status-payload.js';
import { ackTopic, parseTopic, statusTopic } from '../lib/topics.js';
import type { Caller } from './auth/authenticate.js';
import type { BrokerLink } from './broker-link.js';
import { HttpError } from './errors.js';
import type { Api, BridgeMetrics } from './metrics.js';

export interface OperationsSettings {
  prefix: string;
  link: BrokerLink;
  metrics: BridgeMetrics;
  confirmTimeoutMs: number;
  logger: Logger;
}

/**
 * Report, acknowledge and clear on behalf of an HTTP caller. Each checks the caller against the
 * access table for the topic it would publish (the broker checks the bridge again), publishes
 * with QoS 1 and then waits briefly for the broker's stored version to come back, so that a
 * list right after the answer shows the change.
 */
export class StatusOperations {
  readonly #settings: OperationsSettings;
  readonly #log: Logger;

  constructor(settings: OperationsSettings) {
    this.#settings = settings;
    this.#log = settings.logger.child({ module: 'operations' });
  }

  get prefix(): string {
    return this.#settings.prefix;
  }

  /** Refuses a caller whose role may not read statuses (a service). */
  checkReader(caller: Caller): void {
    const decision = maySubscribe(caller, this.prefix, `${this.prefix}/status/#`);
    if (!decision.allowed) {
      throw new HttpError('FORBIDDEN', `${caller.name} may not read statuses: ${decision.reason}`);
    }
  }

  /** May the caller acknowledge this status (the page shows a button when it may)? */
  mayAcknowledge(caller: Caller, service: string, check: string | undefined): boolean {
    return mayPublish(caller, this.prefix, ackTopic(this.prefix, service, check), false).allowed;
  }

  /** Publishes a report; resolves with the stored status, or undefined if not seen in time. */
  async report(
    caller: Caller,
    api: Api,
    where: { service: string; check: string | undefined },
    report: Report,
  ): Promise<Status | undefined> {
    const topic = statusTopic(this.prefix, where.service, where.check);
    this.#authorise(caller, api, topic, false);

    const echo = this.#settings.link.awaitChange(
      topic,
      (change) =>
        change.kind === 'set' &&
        change.status.severity === report.severity &&
        change.status.message === report.message,
      this.#settings.confirmTimeoutMs,
    );
    await this.#publish(api, topic, JSON.stringify(report), true, echo.cancel);
    this.#settings.metrics.reportsAccepted.inc({ api });
    this.#log.debug({ caller: caller.name, topic, api }, 'report published');

    const change = await echo.done;
    return change?.kind === 'set' ? change.status : undefined;
  }

  /** Acknowledges the current status on `topic`, optionally only if its id is `id`. */
  async acknowledge(
    caller: Caller,
    api: Api,
    topic: string,
    id: string,
  ): Promise<Status | undefined> {
    const parsed = parseTopic(this.prefix, topic);
    if (parsed?.kind !== 'status') throw new HttpError('NOT_FOUND', `no status topic ${topic}`);
    const target = ackTopic(this.prefix, parsed.service, parsed.check);
    this.#authorise(caller, api, target, false);

    const echo = this.#settings.link.awaitChange(
      topic,
      (change) => change.kind === 'set' && change.status.id === id && change.status.acknowledged,
      this.#settings.confirmTimeoutMs,
    );
    // `by` records the HTTP caller, not the bridge, as the one who acknowledged.
    const body = JSON.stringify({ id, by: caller.name });
    await this.#publish(api, target, body, false, echo.cancel);
    this.#settings.metrics.acknowledgements.inc({ api });
    this.#log.info({ caller: caller.name, topic, id, api }, 'acknowledged');

    const change = await echo.done;
    return change?.kind === 'set' ? change.status : undefined;
  }

  /** Clears a status (an empty retained message); resolves true once the table lost it. */
  async clear(caller: Caller, api: Api, topic: string): Promise<boolean> {
    this.#authorise(caller, api, topic, true);

    const echo = this.#settings.link.awaitChange(
      topic,
      (change) => change.kind === 'delete',
      this.#settings.confirmTimeoutMs,
    );
    await this.#publish(api, topic, '', true, echo.cancel);
    this.#log.info({ caller: caller.name, topic, api }, 'status cleared');
    return (await echo.done) !== undefined;
  }

  #authorise(caller: Caller, api: Api, topic: string, empty: boolean): void {
    const decision = mayPublish(caller, this.prefix, topic, empty);
    if (decision.allowed) return;

    this.#settings.metrics.reportsRefused.inc({ api, reason: 'forbidden' });
    this.#log.info({ caller: caller.name, topic, reason: decision.reason }, 'publish refused');
    const message = `${caller.name} may not publish ${topic}: ${decision.reason}`;
    throw new HttpError('FORBIDDEN', message, {
      hint: 'a credential reports only under its own name',
    });
  }

  async #publish(api: Api, topic: string, body: string, retain: boolean, cancel: () => void) {
    try {
      await this.#settings.link.publish(topic, body, retain);
    } catch (error) {
      cancel();
      const reason =
        error instanceof HttpError && error.problem === 'BROKER_TIMEOUT'
          ? 'broker_timeout'
          : 'broker_unavailable';
      this.#settings.metrics.reportsRefused.inc({ api, reason });
      throw error instanceof HttpError
        ? error
        : new HttpError('BROKER_UNAVAILABLE', `the broker refused the message: ${String(error)}`);
    }
  }
}
