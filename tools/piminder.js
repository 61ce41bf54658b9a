#!/usr/bin/env node
// The installed `piminder` command. Piminder ships its TypeScript sources and runs them
// through tsx, so there is no build step that could leave a stale copy behind.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
