// The compiled form of the `piminder` command: one esbuild bundle of the TypeScript sources,
// kept under dist/<stamp>/ where the stamp names the exact sources it was built from. A
// command finds the build of the sources as they are now, or makes it (about 0.1 s), so a
// build can never be stale; running the bundle spares each process tsx's loader thread and
// its memory. Plain JavaScript, because it runs before anything can compile TypeScript.
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Folders the command is bundled from; the benchmark runs through tsx and is left out. */
const SOURCE_DIRS = ['lib', 'broker', 'bridge', 'monitor', 'tools'];
const SKIPPED = [join('tools', 'bench')];

/**
 * Builds that are not current are removed once older than this and used by no live process;
 * the delay covers a process that has found a build and not yet marked it.
 */
const PRUNE_AFTER_MS = 10 * 60 * 1000;

/** Name prefix of the marker a process leaves in the build it runs from, followed by its pid. */
const IN_USE_PREFIX = '.in-use-';

function sourceFiles(root, dir, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !SKIPPED.includes(relative(root, path)))
      sourceFiles(root, path, found);
    else if (entry.isFile() && /\.(ts|mjs|js|json)$/.test(entry.name)) found.push(path);
  }
  return found;
}

/** Names the sources by path, size and modification time: any edit gives a new stamp. */
export function sourceStamp(root = PACKAGE_ROOT) {
  const hash = createHash('sha256');
  const files = SOURCE_DIRS.flatMap((dir) => sourceFiles(root, join(root, dir))).sort();
  for (const file of [...files, join(root, 'package.json')]) {
    const { size, mtimeMs } = statSync(file);
    hash.update(`${relative(root, file)}\0${size}\0${mtimeMs}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

/** Marks a build as used by this process until it exits, so no other process prunes it. */
function markInUse(buildDir) {
  const marker = join(buildDir, `${IN_USE_PREFIX}${process.pid}`);
  try {
    writeFileSync(marker, '');
    process.once('exit', () => rmSync(marker, { force: true }));
  } catch {
    // A read-only build folder: nobody can prune it either.
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** True while a process that runs from the build is alive; markers of dead ones are removed. */
function inUse(buildDir) {
  let users = false;
  for (const name of readdirSync(buildDir)) {
    if (!name.startsWith(IN_USE_PREFIX)) continue;
    const pid = Number(name.slice(IN_USE_PREFIX.length));
    if (Number.isInteger(pid) && isAlive(pid)) users = true;
    else rmSync(join(buildDir, name), { force: true });
  }
  return users;
}

function pruneOldBuilds(dist, current) {
  let entries;
  try {
    entries = readdirSync(dist, { withFileTypes: true });
  } catch {
    return;
  }
  const now = Date.now();
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name === current) continue;
    const path = join(dist, entry.name);
    try {
      if (now - statSync(path).mtimeMs > PRUNE_AFTER_MS && !inUse(path))
        rmSync(path, { recursive: true, force: true });
    } catch {
      // Another process pruned it first.
    }
  }
}

/**
 * Bundles into a private folder, then renames it into place: the rename is atomic, so
 * processes starting at the same moment (a test suite, several cron jobs) each see either
 * no build or a whole one. The loser of a race throws its copy away.
 */
async function build(root, stamp) {
  const { build: esbuild } = await import('esbuild');
  const dist = join(root, 'dist');
  mkdirSync(dist, { recursive: true });
  const scratch = join(dist, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await esbuild({
      entryPoints: [join(root, 'tools', 'cli.ts')],
      outdir: scratch,
      bundle: true,
      // Split, so each subcommand loads only its own code and packages: one file would load
      // fastify, mqtt and the rest into every process (about 13 MB more for the broker). A
      // process reads its build's chunks as it goes, so builds in use are never pruned.
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      sourcemap: 'linked',
      logLevel: 'silent',
    });
    renameSync(scratch, join(dist, stamp));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The file URL of the current build's entry point, built first when needed; undefined when
 * no build can be made here (a read-only install, esbuild missing), and the caller runs the
 * sources through tsx instead.
 */
export async function currentBuild(root = PACKAGE_ROOT) {
  try {
    const stamp = sourceStamp(root);
    const entry = join(root, 'dist', stamp, 'cli.js');
    if (!existsSync(entry)) {
      await build(root, stamp).catch((error) => {
        if (!existsSync(entry)) throw error;
      });
      pruneOldBuilds(join(root, 'dist'), stamp);
    }
    markInUse(join(root, 'dist', stamp));
    return pathToFileURL(entry).href;
  } catch {
    return undefined;
  }
}
