import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const execFileAsync = promisify(execFile);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * For tests that generate RSA keys: seconds on a quiet machine, many times that when the two
 * cores are shared with other suites. Only a hang should ever reach it.
 */
export const KEYGEN_TIMEOUT = 120_000;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `openssl` itself, never node-forge, so the files are judged by another reader. */
export async function openssl(args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync('openssl', args, { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** `openssl x509 -noout -text` of a PEM file. */
export async function certText(path: string): Promise<string> {
  const run = await openssl(['x509', '-in', path, '-noout', '-text']);
  if (run.code !== 0) throw new Error(`openssl x509 failed on ${path}: ${run.stderr}`);
  return run.stdout;
}

/**
 * The installed command line, as a user runs it: `node tools/piminder.js certs ...`; as
 * another user when `uid` is given (which needs root).
 */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  uid?: number,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'tools/piminder.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, PIMINDER_CERTS: '', PIMINDER_P12_PASSWORD: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(uid === undefined ? {} : { uid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Every file under a folder with its mode and content, to prove a refusal changed nothing. */
export function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const stat = statSync(path);
      if (stat.isDirectory()) {
        files[`${relative(dir, path)}/`] = stat.mode.toString(8);
        walk(path);
      } else {
        const content = readFileSync(path).toString('base64');
        files[relative(dir, path)] = `${stat.mode.toString(8)} ${content}`;
      }
    }
  };
  walk(dir);
  return files;
}

/** File permission bits, e.g. 0o600. */
export function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}
