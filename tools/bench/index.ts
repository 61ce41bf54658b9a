/**
 * `npm run bench`: Piminder's broker, Debian's Mosquitto and bare Aedes side by side, one
 * client harness, mutual TLS on loopback. Prints the figures, their ratios to Mosquitto and
 * the targets; `--json FILE` writes everything measured.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { isPiminderError } from '../../lib/errors.js';
import { createBenchPki } from './bench-pki.js';
import { checkPlan, DEFAULT_PLAN, type BenchPlan } from './bench-plan.js';
import { bridgeTable, runBridgeBench, type HttpBenchFigures } from './bridge-bench.js';
import { killAllBrokers, stopAllBrokers } from './broker-process.js';
import { checkGoals, metrics, ratiosToMosquitto, summarise } from './figures.js';
import type { GoalResult, Summary } from './figures.js';
import { figuresTable, goalsTable } from './report.js';
import { runTarget, type TargetFigures } from './run-target.js';
import { MOSQUITTO_BINARY, TARGET_NAMES, type TargetName } from './targets.js';

interface Flags {
  json?: string;
  targets: TargetName[];
  statuses: number;
  clients: number;
  window: number;
  seconds: number;
  connects: number;
  parallel: number;
  rounds: number;
  http: boolean;
  httpSeconds: number;
  httpConnections: number;
  profile?: string;
}

function wholeNumber(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError('a whole number of at least 1');
  }
  return value;
}

function targetList(text: string): TargetName[] {
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(TARGET_NAMES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`"${name}" is not one of ${TARGET_NAMES.join(', ')}`);
    }
  }
  return names as TargetName[];
}

function planFrom(flags: Flags): BenchPlan {
  return checkPlan({
    ...DEFAULT_PLAN,
    targets: flags.targets,
    statuses: flags.statuses,
    serviceClients: flags.clients,
    window: flags.window,
    throughputMs: flags.seconds * 1000,
    sequentialConnects: flags.connects,
    parallelConnects: flags.parallel,
    rounds: flags.rounds,
    profileDir: flags.profile === undefined ? undefined : resolve(flags.profile),
  });
}

function program(): Command {
  return new Command('bench')
    .description('Broker benchmark: Piminder vs Mosquitto vs bare Aedes, mutual TLS on loopback')
    .option('--json <file>', 'write every figure to this JSON file')
    .option('--targets <list>', `comma-separated: ${TARGET_NAMES.join(',')}`, targetList, [
      ...DEFAULT_PLAN.targets,
    ])
    .option(
      '--statuses <n>',
      'retained statuses written and replayed',
      wholeNumber,
      DEFAULT_PLAN.statuses,
    )
    .option(
      '--clients <n>',
      'service clients publishing at once',
      wholeNumber,
      DEFAULT_PLAN.serviceClients,
    )
    .option(
      '--window <n>',
      'QoS 1 publishes in flight per client',
      wholeNumber,
      DEFAULT_PLAN.window,
    )
    .option(
      '--seconds <n>',
      'length of the throughput run',
      wholeNumber,
      DEFAULT_PLAN.throughputMs / 1000,
    )
    .option('--connects <n>', 'sequential connects', wholeNumber, DEFAULT_PLAN.sequentialConnects)
    .option(
      '--parallel <n>',
      `connects made ${DEFAULT_PLAN.connectConcurrency} at a time`,
      wholeNumber,
      DEFAULT_PLAN.parallelConnects,
    )
    .option(
      '--rounds <n>',
      'repeat everything; the table shows medians',
      wholeNumber,
      DEFAULT_PLAN.rounds,
    )
    .option('--profile <dir>', 'Node.js brokers write CPU profiles (--cpu-prof) here')
    .option('--no-http', "skip the bridge's HTTP benchmark")
    .option(
      '--http-seconds <n>',
      'length of each HTTP/MQTT run of the bridge benchmark',
      wholeNumber,
      10,
    )
    .option(
      '--http-connections <n>',
      'concurrent HTTP connections and MQTT clients',
      wholeNumber,
      50,
    );
}

function progress(line: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

/** Mosquitto is compared against when it is installed; without it the run says so. */
function availableTargets(plan: BenchPlan): TargetName[] {
  return plan.targets.filter((target) => {
    if (target !== 'mosquitto' || existsSync(MOSQUITTO_BINARY)) return true;
    progress(`${MOSQUITTO_BINARY} is not installed: no Mosquitto figures, no ratios`);
    return false;
  });
}

function profileFlags(plan: BenchPlan, target: TargetName): string[] {
  if (plan.profileDir === undefined) return [];
  const dir = join(plan.profileDir, target);
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', '--cpu-prof-dir', dir];
}

async function measureAll(plan: BenchPlan, workDir: string) {
  const pki = await createBenchPki(join(workDir, 'certs'), plan.serviceClients);
  const rounds: TargetFigures[] = [];
  const failures: string[] = [];
  for (let round = 1; round <= plan.rounds; round += 1) {
    for (const target of plan.targets) {
      const dataDir = mkdtempSync(join(workDir, `${target}-${round}-`));
      const place = { certsDir: pki.dir, dataDir, nodeFlags: profileFlags(plan, target) };
      try {
        rounds.push(await runTarget(target, place, pki, plan, progress));
      } catch (error) {
        const line = isPiminderError(error) ? error.toLine() : String(error);
        failures.push(`${target} (round ${round}): ${line}`);
        progress(`${target} failed: ${line}`);
      }
    }
  }
  return { rounds, failures };
}

/** Ctrl-C or SIGTERM: every broker is stopped and the temporary folder removed. */
function stopOnSignals(workDir: string): void {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    progress(`${signal}: stopping every broker`);
    void stopAllBrokers().finally(() => {
      rmSync(workDir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Last resort when the process ends any other way.
  process.on('exit', killAllBrokers);
}

async function measureHttp(flags: Flags, failures: string[]) {
  try {
    const options = { durationSeconds: flags.httpSeconds, connections: flags.httpConnections };
    return await runBridgeBench({ ...options, progress });
  } catch (error) {
    failures.push(`HTTP: ${isPiminderError(error) ? error.toLine() : String(error)}`);
    return undefined;
  }
}

interface BenchReport {
  plan: BenchPlan;
  machine: { cpus: number; node: string; loadAtStart: number[]; loadAtEnd: number[] };
  summary: Summary;
  ratios: Summary;
  goals: GoalResult[];
  rounds: TargetFigures[];
  http: HttpBenchFigures | undefined;
  failures: string[];
}

function printReport(report: BenchReport, tookMs: number): void {
  const { plan, machine, summary, ratios, http } = report;
  const load = (values: number[]) => values.map((value) => value.toFixed(1)).join(' ');
  console.log(`\nBroker benchmark: ${plan.rounds} round(s), medians; ratio = value / Mosquitto`);
  console.log(
    `machine: ${machine.cpus} cores, load average ${load(machine.loadAtStart)} at the start, ` +
      `${load(machine.loadAtEnd)} at the end`,
  );
  const list = metrics(plan.statuses, plan.connectConcurrency);
  console.log(`\n${figuresTable(list, summary, ratios, plan.targets)}\n`);
  if (summary.piminder !== undefined) console.log(`${goalsTable(report.goals)}\n`);
  if (http !== undefined) {
    const runs = `${http.connections} connections, ${http.durationSeconds} s each`;
    console.log(`HTTP bridge beside direct MQTT (${runs}):\n${bridgeTable(http)}\n`);
  }
  for (const failure of report.failures) console.log(`FAILED ${failure}`);
  console.log(`took ${(tookMs / 1000).toFixed(0)} s`);
}

async function main(flags: Flags): Promise<number> {
  const requested = planFrom(flags);
  const plan = { ...requested, targets: availableTargets(requested) };
  const workDir = mkdtempSync(join(tmpdir(), 'piminder-bench-'));
  stopOnSignals(workDir);

  try {
    const startedAt = Date.now();
    const loadAtStart = loadavg();
    const { rounds, failures } = await measureAll(plan, workDir);
    const http = flags.http ? await measureHttp(flags, failures) : undefined;

    const summary = summarise(rounds, metrics(plan.statuses, plan.connectConcurrency));
    const ratios = ratiosToMosquitto(summary);
    const loadAtEnd = loadavg();
    const machine = { cpus: cpus().length, node: process.version, loadAtStart, loadAtEnd };
    const goals = checkGoals(summary, ratios);
    const report = { plan, machine, summary, ratios, goals, rounds, http, failures };
    printReport(report, Date.now() - startedAt);

    if (flags.json !== undefined) {
      writeFileSync(flags.json, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`figures written to ${flags.json}`);
    }
    return failures.length === 0 ? 0 : 1;
  } finally {
    await stopAllBrokers();
    rmSync(workDir, { recursive: true, force: true });
  }
}

const command = program();
command.parse();
main(command.opts<Flags>()).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(isPiminderError(error) ? error.toLine() : error);
    process.exit(1);
  },
);
