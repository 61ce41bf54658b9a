// The live status page: a snapshot and then every change arrive over one server-sent event
// stream; nothing is polled. Text is always set with textContent, never parsed as HTML.
'use strict';

const RANK = { ok: 0, info: 1, minor: 2, major: 3 };
const statuses = new Map();
let mayAcknowledge = false;

const $ = (id) => document.getElementById(id);

function keyOf(status) {
  return status.check === null ? status.service : `${status.service}/${status.check}`;
}

/** A stale status counts at least as minor, as everywhere in Piminder. */
function effectiveSeverity(status) {
  if (status.stale && RANK[status.severity] < RANK.minor) return 'minor';
  return status.severity;
}

function age(timestamp) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(timestamp)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86400)} d`;
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

function mark(parent, text) {
  const span = document.createElement('span');
  span.className = 'mark';
  span.textContent = text;
  parent.append(span);
}

async function acknowledge(status) {
  const path =
    status.check === null
      ? `/api/v1/ack/${encodeURIComponent(status.service)}`
      : `/api/v1/ack/${encodeURIComponent(status.service)}/${encodeURIComponent(status.check)}`;
  const answer = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: status.id }),
  });
  if (!answer.ok) {
    const body = await answer.json().catch(() => ({ message: answer.statusText }));
    showActionError(`Could not acknowledge ${keyOf(status)}: ${body.message}`);
  }
}

function showActionError(text) {
  const notice = $('action-error');
  notice.textContent = text;
  notice.hidden = false;
}

function rowFor(status) {
  const severity = effectiveSeverity(status);
  const row = document.createElement('tr');
  row.className = `severity-${severity}${status.acknowledged ? ' acknowledged' : ''}`;
  row.dataset.key = keyOf(status);
  row.dataset.severity = severity;
  row.dataset.acknowledged = String(status.acknowledged);

  cell(row, keyOf(status), 'name');
  cell(row, severity, 'severity');
  cell(row, status.message, 'message');
  cell(row, age(status.timestamp), 'age').dataset.timestamp = status.timestamp;
  const state = cell(row, '', 'state');
  if (status.acknowledged) {
    const by = status.acknowledgedBy ? ` by ${status.acknowledgedBy}` : '';
    mark(state, `acknowledged${by}`);
  }
  if (status.stale) mark(state, 'stale');

  const actions = cell(row, '', 'actions');
  if (mayAcknowledge && !status.acknowledged && status.severity !== 'ok') {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'ack';
    button.textContent = 'Acknowledge';
    button.addEventListener('click', () => {
      button.disabled = true;
      acknowledge(status).catch((error) => showActionError(String(error)));
    });
    actions.append(button);
  }
  return row;
}

function render() {
  const ordered = [...statuses.values()].sort(
    (a, b) =>
      RANK[effectiveSeverity(b)] - RANK[effectiveSeverity(a)] || keyOf(a).localeCompare(keyOf(b)),
  );
  $('statuses').replaceChildren(...ordered.map(rowFor));
  $('empty').hidden = ordered.length > 0;
}

function connect() {
  const events = new EventSource('/api/v1/events');
  events.addEventListener('open', () => {
    $('connection-lost').hidden = true;
  });
  events.addEventListener('error', () => {
    $('connection-lost').hidden = false;
  });
  events.addEventListener('snapshot', (event) => {
    const data = JSON.parse(event.data);
    statuses.clear();
    for (const status of data.statuses) statuses.set(keyOf(status), status);
    $('broker-lost').hidden = data.broker;
    render();
  });
  events.addEventListener('status', (event) => {
    const { status } = JSON.parse(event.data);
    statuses.set(keyOf(status), status);
    render();
  });
  events.addEventListener('clear', (event) => {
    statuses.delete(keyOf(JSON.parse(event.data)));
    render();
  });
  events.addEventListener('broker', (event) => {
    $('broker-lost').hidden = JSON.parse(event.data).connected;
  });
}

async function start() {
  const answer = await fetch('/api/v1/whoami');
  if (answer.ok) {
    const who = await answer.json();
    mayAcknowledge = who.mayAcknowledge;
    $('who').textContent = `signed in as ${who.name} (${who.role})`;
  }
  connect();
  // Ages move on without any event; only their text changes, so buttons stay where they are.
  setInterval(() => {
    for (const td of document.querySelectorAll('td.age')) {
      td.textContent = age(td.dataset.timestamp);
    }
  }, 1000);
}

start().catch((error) => showActionError(String(error)));
