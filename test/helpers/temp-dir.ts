import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder under the system temp dir; `remove()` deletes it and all inside. */
export function tempDir(label: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `piminder-${label}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
