import { createServer } from 'node:net';
import { PiminderError } from '../../lib/errors.js';
import type { StartConfig } from './config.js';

function probe(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/**
 * Checks that the broker's and bridge's ports are free before anything is created, so that
 * a second `piminder start` (or one in the wrong folder) stops with the reason instead of
 * first making a new CA that nothing will use.
 */
export async function assertPortsFree(config: StartConfig): Promise<void> {
  const wanted = [
    ['broker', config.broker, 'PIMINDER_BROKER_PORT'],
    ['bridge', config.bridge, 'PIMINDER_BRIDGE_PORT'],
  ] as const;

  for (const [part, section, variable] of wanted) {
    if (section === undefined || section.port === 0) continue;
    const error = await probe(section.host, section.port);
    if (error === undefined) continue;
    const reason =
      error.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${error.code})`;
    throw new PiminderError(
      'PIMINDER_ERR_START_PORT',
      `the ${part} port ${section.host}:${section.port} ${reason}`,
      {
        hint:
          'is Piminder already running? Stop it, or choose another port with ' +
          `${variable} or a config file`,
      },
    );
  }
}
