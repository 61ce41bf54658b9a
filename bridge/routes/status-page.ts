import { readFileSync } from 'node:fs';
import { packagePath } from '../../lib/package-root.js';
import type { BridgeApp } from '../http-server.js';
import { callerOf, type BridgeParts } from './route-helpers.js';

/** The page's files, read once: plain HTML, CSS and a script, no build step. */
function pageFile(name: string): string {
  return readFileSync(packagePath('bridge', 'page', name), 'utf8');
}

// Scripts and styles only from this origin; the page needs nothing else.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/** `GET /`: the live status page, for callers who may read statuses. */
export function registerStatusPageRoutes(app: BridgeApp, parts: BridgeParts): void {
  const files = {
    html: pageFile('index.html'),
    script: pageFile('status-page.js'),
    style: pageFile('status-page.css'),
  };

  app.get('/', async (request, reply) => {
    parts.operations.checkReader(callerOf(request));
    return reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(files.html);
  });

  app.get('/status-page.js', async (_request, reply) => {
    return reply
      .headers(SECURITY_HEADERS)
      .type('text/javascript; charset=utf-8')
      .send(files.script);
  });

  app.get('/status-page.css', async (_request, reply) => {
    return reply.headers(SECURITY_HEADERS).type('text/css; charset=utf-8').send(files.style);
  });
}
