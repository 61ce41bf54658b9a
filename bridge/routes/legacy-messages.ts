import type { BridgeApp } from '../http-server.js';
import type { Report, Status } from '../../lib/status-payload.js';
import { statusTopic } from '../../lib/topics.js';
import type { Caller } from '../auth/authenticate.js';
import {
  legacyCheck,
  legacyText,
  nameAndText,
  newestFirst,
  numbered,
  toLegacyMessage,
} from '../legacy/legacy-mapping.js';
import { parseLegacyPost, parseMessageId, type LegacyPost } from '../legacy/legacy-validation.js';
import { legacyRefusal, legacyRoute, OK_BODY } from './legacy-handler.js';
import type { BridgeParts } from './route-helpers.js';

function both(path: string): string[] {
  return [path, path.replace(/\/$/, '')];
}

/** The old API's messages: list, post, unique post, mark read (PATCH), delete. */
export function registerLegacyMessageRoutes(app: BridgeApp, parts: BridgeParts): void {
  const { link, operations, metrics } = parts;
  const prefix = operations.prefix;

  const topicOf = (status: Status) =>
    statusTopic(prefix, status.service, status.check ?? undefined);

  const findById = (id: string): Status => {
    const status = link.table.list().find((candidate) => candidate.id === id);
    if (status === undefined) throw legacyRefusal(`message ${id} does not exist`);
    return status;
  };

  const post = async (caller: Caller, body: unknown, unique: boolean) => {
    let request: LegacyPost;
    try {
      request = parseLegacyPost(body, unique);
    } catch (error) {
      metrics.reportsRefused.inc({ api: 'legacy', reason: 'invalid' });
      throw error;
    }
    if (unique) await postUnique(caller, request);
    else await publish(caller, legacyCheck(request.name, request.message, false), request);
    return OK_BODY;
  };

  const publish = async (caller: Caller, check: string, request: LegacyPost, time?: string) => {
    const report: Report = {
      severity: request.errorlevel,
      message: legacyText(request.name, request.message),
      timestamp: time ?? request.timestamp,
    };
    await operations.report(caller, 'legacy', { service: caller.name, check }, report);
  };

  // A repeat of a known message alerts again: the old service marked it unread. The broker
  // keeps the acknowledgement of an identical report, so an acknowledged one is cleared first.
  const postUnique = async (caller: Caller, request: LegacyPost) => {
    const existing = link.table
      .list()
      .filter((status) => status.service === caller.name && status.check !== null)
      .filter((status) => {
        const old = nameAndText(status);
        return old.name === request.name && old.message === request.message;
      })
      .sort(newestFirst)[0];
    if (existing === undefined) {
      await publish(caller, legacyCheck(request.name, request.message, true), request);
      return;
    }
    if (existing.acknowledged) await operations.clear(caller, 'legacy', topicOf(existing));
    const time = request.updateTimestamp ? request.timestamp : existing.timestamp;
    await publish(caller, existing.check as string, request, time);
  };

  for (const url of both('/api/messages/')) {
    app.get(
      url,
      legacyRoute(2, async () => {
        return numbered(link.table.list().sort(newestFirst).map(toLegacyMessage));
      }),
    );

    app.post(
      url,
      legacyRoute(1, (caller, body) => post(caller, body, false)),
    );

    app.patch(
      url,
      legacyRoute(2, async (caller, body) => {
        const status = findById(parseMessageId(body));
        if (status.acknowledged) throw legacyRefusal(`message ${status.id} is already read`);
        await operations.acknowledge(caller, 'legacy', topicOf(status), status.id);
        return OK_BODY;
      }),
    );

    app.delete(
      url,
      legacyRoute(2, async (caller, body) => {
        const status = findById(parseMessageId(body));
        await operations.clear(caller, 'legacy', topicOf(status));
        return OK_BODY;
      }),
    );
  }

  for (const url of both('/api/messages/unique/')) {
    app.post(
      url,
      legacyRoute(1, (caller, body) => post(caller, body, true)),
    );
  }
}
