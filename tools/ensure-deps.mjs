// Runs before `npm start` and `npm test`: installs the locked dependencies when they are
// missing or older than package-lock.json, so a fresh clone needs no separate install step.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function mtime(path) {
  try {
    return statSync(new URL(path, `file://${root}/`)).mtimeMs;
  } catch {
    return 0;
  }
}

const installed = mtime('node_modules/.package-lock.json');
if (installed === 0 || installed < mtime('package-lock.json')) {
  console.error('piminder: installing dependencies (npm ci) ...');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error('piminder: npm ci failed; see the messages above');
    process.exit(result.status ?? 1);
  }
}
