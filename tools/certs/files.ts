import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';

/** Private keys and PKCS#12 bundles: readable by the owner only. */
export const SECRET_MODE = 0o600;

export const PUBLIC_MODE = 0o644;

/**
 * Writes through a temporary file and a rename, so a reader (a broker watching crl.pem)
 * never sees half a file and a crash never leaves one. The mode is set before the rename:
 * a key is never readable by others, not even for a moment.
 */
export async function writeAtomic(path: string, content: string | Buffer, mode: number) {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, content, { mode, flag: 'w' });
    await chmod(temporary, mode);
    await rename(temporary, path);
  } finally {
    if (existsSync(temporary)) await rm(temporary, { force: true });
  }
}
