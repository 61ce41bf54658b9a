import type { Status } from '../lib/status-payload.js';
import { ackTopic, statusTopic } from '../lib/topics.js';
import { activeStatuses } from './conditions.js';
import type { InputAction } from './config.js';

/** One publish a button press leads to. */
export interface PlannedPublish {
  topic: string;
  payload: string;
  retain: boolean;
}

function checkOf(status: Status): string | undefined {
  return status.check ?? undefined;
}

/** `{"id": ...}` on the ack topic: the broker acknowledges only that very status. */
function ackFor(prefix: string, status: Status): PlannedPublish {
  return {
    topic: ackTopic(prefix, status.service, checkOf(status)),
    payload: JSON.stringify({ id: status.id }),
    retain: false,
  };
}

/** A zero-length retained publish deletes the retained status [MQTT-3.3.1-10]. */
function clearFor(prefix: string, status: Status): PlannedPublish {
  return { topic: statusTopic(prefix, status.service, checkOf(status)), payload: '', retain: true };
}

/**
 * What a press of a button with `action` publishes, given the table's statuses in
 * StatusTable.list() order (most severe first).
 */
export function planAction(
  action: InputAction,
  statuses: readonly Status[],
  prefix: string,
): PlannedPublish[] {
  switch (action) {
    case 'ack-all':
      return activeStatuses(statuses).map((status) => ackFor(prefix, status));
    case 'ack-top': {
      const top = activeStatuses(statuses)[0];
      return top === undefined ? [] : [ackFor(prefix, top)];
    }
    case 'clear-acked':
      return statuses.filter((status) => status.acknowledged).map((s) => clearFor(prefix, s));
    default:
      return action satisfies never;
  }
}
