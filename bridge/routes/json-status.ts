import type { BridgeApp } from '../http-server.js';
import { parseReport, PayloadError, reportSchema } from '../../lib/status-payload.js';
import { statusTopic } from '../../lib/topics.js';
import { HttpError } from '../errors.js';
import {
  callerOf,
  nameParams,
  objectBody,
  type BridgeParts,
  type ServiceParams,
} from './route-helpers.js';

const STATUS_PATHS = ['/api/v1/status/:service', '/api/v1/status/:service/:check'];
const ACK_PATHS = ['/api/v1/ack/:service', '/api/v1/ack/:service/:check'];

/** The report a body holds, or a 400 naming the first field at fault. */
function reportFrom(body: unknown) {
  const object = objectBody(body, '{"severity": ..., "message": ...}');
  try {
    return parseReport(JSON.stringify(object));
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    const issue = reportSchema.safeParse(object).error?.issues[0];
    const field = issue?.code === 'unrecognized_keys' ? issue.keys[0] : issue?.path.join('.');
    throw new HttpError('BAD_FIELD', error.message, {
      ...(field === undefined || field === '' ? {} : { field }),
      hint: error.hint ?? 'see the status contract',
    });
  }
}

/** The JSON API over the topic contract: report, list, read one, clear, acknowledge. */
export function registerJsonStatusRoutes(app: BridgeApp, parts: BridgeParts): void {
  const { operations, metrics } = parts;
  const prefix = operations.prefix;
  const table = () => parts.link.table;

  app.get('/api/v1/status', async (request) => {
    operations.checkReader(callerOf(request));
    return { statuses: table().list() };
  });

  for (const url of STATUS_PATHS) {
    app.post<{ Params: ServiceParams }>(url, async (request, reply) => {
      const caller = callerOf(request);
      let report;
      try {
        report = reportFrom(request.body);
      } catch (error) {
        metrics.reportsRefused.inc({ api: 'json', reason: 'invalid' });
        throw error;
      }
      const where = nameParams(request.params);
      const status = await operations.report(caller, 'json', where, report);
      const topic = statusTopic(prefix, where.service, where.check);
      return reply.code(status === undefined ? 202 : 200).send({ topic, status: status ?? null });
    });

    app.get<{ Params: ServiceParams }>(url, async (request) => {
      operations.checkReader(callerOf(request));
      const { service, check } = nameParams(request.params);
      const topic = statusTopic(prefix, service, check);
      const status = table().get(topic);
      if (status === undefined) throw new HttpError('NOT_FOUND', `no status on ${topic}`);
      return { topic, status };
    });

    app.delete<{ Params: ServiceParams }>(url, async (request, reply) => {
      const caller = callerOf(request);
      const { service, check } = nameParams(request.params);
      const topic = statusTopic(prefix, service, check);
      if (table().get(topic) === undefined) {
        throw new HttpError('NOT_FOUND', `no status on ${topic}`);
      }
      const seen = await operations.clear(caller, 'json', topic);
      return reply.code(seen ? 200 : 202).send({ topic, cleared: true });
    });
  }

  for (const url of ACK_PATHS) {
    app.post<{ Params: ServiceParams }>(url, async (request, reply) => {
      const caller = callerOf(request);
      const { service, check } = nameParams(request.params);
      const wanted = ackIdFrom(request.body);
      const topic = statusTopic(prefix, service, check);
      const current = table().get(topic);
      if (current === undefined) throw new HttpError('NOT_FOUND', `no status on ${topic}`);
      if (wanted !== undefined && wanted !== current.id) {
        throw new HttpError('CONFLICT', `status id ${wanted} is not the current one on ${topic}`, {
          field: 'id',
          hint: 'the status changed since it was read; read it again',
        });
      }
      if (current.acknowledged) return { topic, status: current };

      const status = await operations.acknowledge(caller, 'json', topic, current.id);
      return reply.code(status === undefined ? 202 : 200).send({ topic, status: status ?? null });
    });
  }
}

/** `{ "id": "..." }`, or no body at all for "whatever is current". */
function ackIdFrom(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  const object = objectBody(body, '{"id": "<status id>"} or no body');
  const extra = Object.keys(object).filter((key) => key !== 'id');
  if (extra.length > 0) {
    throw new HttpError('BAD_FIELD', `unknown field ${extra.join(', ')}`, { field: extra[0] });
  }
  const id = object.id;
  if (id === undefined) return undefined;
  if (typeof id !== 'string' || id === '' || id.length > 128) {
    throw new HttpError('BAD_FIELD', 'id must be a status id (a non-empty string)', {
      field: 'id',
    });
  }
  return id;
}
