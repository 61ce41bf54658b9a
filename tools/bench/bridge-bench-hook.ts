import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

/** What the benchmark hands the bridge's HTTP benchmark: the run's PKI and a deadline. */
export interface HttpBenchContext {
  /** The run's certificate folder (CA, server certificate, `clients/<name>.crt|key`). */
  certsDir: string;
  /** A scratch folder the HTTP benchmark may use for its broker's data. */
  workDir: string;
  /** Upper bound for the whole HTTP benchmark, in ms. */
  timeoutMs: number;
  /** Progress lines, as the other measurements report them. */
  progress: (line: string) => void;
}

/** The function the bridge's `tools/bench/http-*.ts` module exports. */
export type RunHttpBench = (options: HttpBenchContext) => Promise<unknown>;

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));

/**
 * The bridge's HTTP benchmark lives beside this file as `http-<something>.ts` and exports
 * `runHttpBench`. It is looked up at run time, so this benchmark runs with or without it.
 */
export async function findHttpBench(): Promise<RunHttpBench | undefined> {
  const candidates = readdirSync(BENCH_DIR)
    .filter((file) => /^http-[a-z0-9-]+\.ts$/.test(file))
    .sort();
  for (const file of candidates) {
    const module = (await import(pathToFileURL(join(BENCH_DIR, file)).href)) as {
      runHttpBench?: unknown;
    };
    if (typeof module.runHttpBench === 'function') return module.runHttpBench as RunHttpBench;
  }
  return undefined;
}
