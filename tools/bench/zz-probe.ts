import { join } from 'node:path';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createBenchPki } from './bench-pki.js';
import { startTarget, type TargetName } from './targets.js';
import { readMemory } from './measure-rss.js';
import { connectClient, closeClient } from './mqtt-harness.js';
import { measurePublishes } from './measure-publish.js';
import { measureReplay } from './measure-replay.js';
import { statusPayloads, topicPlan } from './status-load.js';
const target = (process.argv[2] ?? 'piminder') as TargetName;
const phase = process.argv[3] ?? 'write';
const prof = process.argv[4];
const dir = mkdtempSync(join(tmpdir(), 'probe-'));
const pki = await createBenchPki(join(dir, 'certs'), 4);
const nodeFlags = prof === 'gc' ? ['--trace-gc'] : prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [];
if (prof && prof !== 'gc') mkdirSync(prof, { recursive: true });
const b = await startTarget(target, { certsDir: pki.dir, dataDir: mkdtempSync(join(dir, target)), nodeFlags });
const ep = { host: '127.0.0.1', port: b.port };
const clients = await Promise.all(pki.services.map((t) => connectClient(ep, t, 'p')));
const plan = topicPlan(pki.services.map((t) => t.name), 10000);
const publishers = clients.map((client, i) => ({ client, topics: plan[i] ?? [], limit: (plan[i] ?? []).length }));
console.log('mem after start', readMemory(b.pid));
const w = await measurePublishes({ publishers, payloads: statusPayloads(), window: 32, perClient: 1e9, durationMs: 60000 });
console.log('write', w.elapsedMs.toFixed(0), w.perSecond.toFixed(0), w.p50Ms.toFixed(1), w.p99Ms.toFixed(1));
console.log('mem after write', readMemory(b.pid));
if (phase === 'replay') {
  for (let i = 0; i < 3; i++) {
    const m = await connectClient(ep, pki.monitor, 'r');
    const r = await measureReplay(m, new Set(plan.flat()));
    console.log('replay', r.ms.toFixed(0), r.received);
    await closeClient(m);
  }
}
if (phase === 'tp') {
  const t = await measurePublishes({ publishers: publishers.map(p => ({...p, limit: undefined})), payloads: statusPayloads(), window: 32, perClient: 1e9, durationMs: 5000 });
  console.log('tp', t.perSecond.toFixed(0), t.p50Ms.toFixed(1), t.p99Ms.toFixed(1));
}
console.log('mem end', readMemory(b.pid));
console.log(b.recentOutput().filter((l) => /Mark-Compact|Scavenge/.test(l)).slice(-4).join('\n'));
await Promise.all(clients.map(closeClient));
await b.stop();
