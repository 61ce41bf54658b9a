#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 --max-old-space-size=1024
// The installed `piminder` command. It runs a bundle of the TypeScript sources, made from
// the sources as they are now (tools/build/current-build.mjs); where no bundle can be made,
// it runs the sources through tsx. The first line keeps a long-running part small, as on a
// Raspberry Pi: two malloc arenas rather than one per thread, a 2 MB young generation, and an
// old-generation limit of 1 GB, which also makes V8 grow the heap in smaller steps.
import { fileURLToPath } from 'node:url';
import { currentBuild } from './build/current-build.mjs';

/** The package a failed import names when the dependencies were never installed. */
function missingPackage(error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  return /Cannot find package '([^']+)'/.exec(error.message)?.[1];
}

try {
  const entry = await currentBuild();
  if (entry !== undefined) {
    await import(entry);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('./cli.ts');
  }
} catch (error) {
  const name = missingPackage(error);
  if (name === undefined) throw error;
  const root = fileURLToPath(new URL('..', import.meta.url));
  console.error(
    `piminder: its dependencies are not installed (no package "${name}"): ` +
      `run "npm ci" once in ${root}`,
  );
  process.exit(1);
}
