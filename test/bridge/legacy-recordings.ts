/**
 * Request/answer pairs of the old Piminder REST API, written from its documentation
 * (LEGACY-API.md) and replayed in order against the bridge. `{{A}}` stands for the messageId
 * the list answer gave the message named "A"; `list` answers name the messages they must
 * hold, in order (newest first), among any others.
 */
export interface Recording {
  what: string;
  request: {
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
    path: string;
    /** `user:password`, or none for a request without Authorization. */
    basic?: string;
    body?: unknown;
  };
  answer: { status: number; body?: unknown; list?: Array<Record<string, unknown>> };
}

const SERVICE = 'cron:correct horse battery';
const MONITOR = 'viewer:correct horse battery';

const message = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  timestamp: '2026-12-03T08:15:00Z',
  errorlevel: 'minor',
  message: `${name} needs a look`,
  ...extra,
});

export const RECORDINGS: Recording[] = [
  {
    what: 'post a message',
    request: { method: 'POST', path: '/api/messages/', basic: SERVICE, body: message('A') },
    answer: { status: 200, body: { error: 200 } },
  },
  {
    what: 'post a unique message',
    request: {
      method: 'POST',
      path: '/api/messages/unique/',
      basic: SERVICE,
      body: message('B', {
        errorlevel: 'major',
        timestamp: '2026-12-03T09:00:00Z',
        updateTimestamp: false,
      }),
    },
    answer: { status: 200, body: { error: 200 } },
  },
  {
    what: 'post the same unique message again',
    request: {
      method: 'POST',
      path: '/api/messages/unique/',
      basic: SERVICE,
      body: message('B', {
        errorlevel: 'major',
        timestamp: '2026-12-03T09:30:00Z',
        updateTimestamp: false,
      }),
    },
    answer: { status: 200, body: { error: 200 } },
  },
  {
    what: 'list: one B (its first time kept), then A',
    request: { method: 'GET', path: '/api/messages/', basic: MONITOR },
    answer: {
      status: 200,
      list: [
        {
          messageId: '{{B}}',
          name: 'B',
          read: false,
          errorLevel: 'major',
          timestamp: '2026-12-03T09:00:00Z',
          message: 'B needs a look',
        },
        {
          messageId: '{{A}}',
          name: 'A',
          read: false,
          errorLevel: 'minor',
          timestamp: '2026-12-03T08:15:00Z',
          message: 'A needs a look',
        },
      ],
    },
  },
  {
    what: 'mark A read',
    request: {
      method: 'PATCH',
      path: '/api/messages/',
      basic: MONITOR,
      body: { messageId: '{{A}}' },
    },
    answer: { status: 200, body: { error: 200 } },
  },
  {
    what: 'mark A read again',
    request: {
      method: 'PATCH',
      path: '/api/messages/',
      basic: MONITOR,
      body: { messageId: '{{A}}' },
    },
    answer: {
      status: 400,
      body: {
        error: 400,
        message: 'message {{A}} is already read',
        code: 'PIMINDER_ERR_HTTP_BAD_FIELD',
      },
    },
  },
  {
    what: 'delete A',
    request: {
      method: 'DELETE',
      path: '/api/messages/',
      basic: MONITOR,
      body: { messageId: '{{A}}' },
    },
    answer: { status: 200, body: { error: 200 } },
  },
  {
    what: 'list: B only',
    request: { method: 'GET', path: '/api/messages/', basic: MONITOR },
    answer: {
      status: 200,
      list: [
        {
          messageId: '{{B}}',
          name: 'B',
          read: false,
          errorLevel: 'major',
          timestamp: '2026-12-03T09:00:00Z',
          message: 'B needs a look',
        },
      ],
    },
  },
  {
    what: 'post with a wrong errorlevel',
    request: {
      method: 'POST',
      path: '/api/messages/',
      basic: SERVICE,
      body: message('C', { errorlevel: 'warning' }),
    },
    answer: {
      status: 400,
      body: { all_errors: { errorlevel: 'Must be one of: info, minor, major.' }, error: 400 },
    },
  },
  {
    what: 'post with a wrong password',
    request: { method: 'POST', path: '/api/messages/', basic: 'cron:guess', body: message('D') },
    answer: { status: 401, body: { message: 'unauthorized' } },
  },
  {
    what: 'list without an Authorization header',
    request: { method: 'GET', path: '/api/messages/' },
    answer: { status: 401, body: { message: 'unauthorized' } },
  },
  {
    what: 'list as a service (level 1)',
    request: { method: 'GET', path: '/api/messages/', basic: SERVICE },
    answer: { status: 400, body: { error: 400, msg: 'Unauthorized' } },
  },
];
