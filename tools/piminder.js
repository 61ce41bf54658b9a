#!/usr/bin/env -S node --max-semi-space-size=2
// The installed `piminder` command. It runs a bundle of the TypeScript sources, made from
// the sources as they are now (tools/build/current-build.mjs); where no bundle can be made,
// it runs the sources through tsx. The V8 flag above keeps the young generation small, for
// the long-running parts on a Raspberry Pi; `npm start` passes the same flag.
import { currentBuild } from './build/current-build.mjs';

const entry = await currentBuild();
if (entry !== undefined) {
  await import(entry);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli.ts');
}
