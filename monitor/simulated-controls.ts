import { createInterface } from 'node:readline';
import type { Logger } from '../lib/logger.js';
import type { SimulatedBackend } from './gpio/simulated-backend.js';

/**
 * Button presses for the simulated backend: a line `press <input>` (or just `<input>`, by
 * name or line number) on the given stream, and SIGUSR1 for the first input.
 * Returns a function that detaches both.
 */
export function attachSimulatedControls(
  backend: SimulatedBackend,
  input: NodeJS.ReadableStream,
  log: Logger,
): () => void {
  const press = (which: string) => {
    try {
      backend.press(which);
    } catch (error) {
      log.warn({ input: which, reason: (error as Error).message }, 'simulated press refused');
    }
  };

  const reader = createInterface({ input, terminal: false });
  reader.on('line', (text) => {
    const words = text.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return;
    const which = words[0] === 'press' ? words[1] : words[0];
    if (which === undefined || words.length > (words[0] === 'press' ? 2 : 1)) {
      log.warn({ line: text.slice(0, 80) }, 'simulated input not understood: use "press <input>"');
      return;
    }
    press(which);
  });

  const onSignal = () => {
    const first = backend.inputNames()[0];
    if (first === undefined) log.warn({}, 'SIGUSR1 ignored: no inputs configured');
    else press(first);
  };
  process.on('SIGUSR1', onSignal);

  return () => {
    reader.close();
    process.off('SIGUSR1', onSignal);
  };
}
