import { statSync } from 'node:fs';

/** A cheap fingerprint of a file: a rename, a rewrite or a removal changes it. */
function fingerprint(path: string): string {
  try {
    const stat = statSync(path);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return 'absent';
  }
}

/**
 * Polls trust files (the CA, the CRL) for changes. Polling rather than fs.watch: the
 * certificate tool replaces files by rename, which fs.watch on a file stops following, and
 * polling behaves the same on every file system. Calls `onChange` once per observed change,
 * never concurrently.
 */
export class FileWatcher {
  readonly #paths: string[];
  readonly #onChange: () => void;
  #seen: string[];
  #timer: NodeJS.Timeout | undefined;

  constructor(paths: string[], intervalMs: number, onChange: () => void) {
    this.#paths = paths;
    this.#onChange = onChange;
    this.#seen = paths.map(fingerprint);
    this.#timer = setInterval(() => this.#poll(), intervalMs);
    this.#timer.unref();
  }

  #poll(): void {
    const now = this.#paths.map(fingerprint);
    if (now.every((value, index) => value === this.#seen[index])) return;
    this.#seen = now;
    this.#onChange();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
