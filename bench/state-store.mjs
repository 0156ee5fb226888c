// State store benchmark: what a deploy asks of its state store — open it (an S3 store is probed),
// read the lock and each project's last good deploy (as `nx-deploy plan` shows them), take the
// lock, record the deploy started, read and write what the runtime remembers, record it finished,
// release the lock — with the file store and with an S3 store (versitygw on loopback), in the same
// run. Prints both and the ratio; the goal is that the S3 store adds under 1 s to a deploy.
// Never fails on a time.
//   npm run bench:store [-- --rounds 10 --projects 6]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redactor } from '../tools/deploy-plugin/src/core/redact.ts';
import { openStateConfig } from '../tools/deploy-plugin/src/store/open.ts';
import { lastGood } from '../tools/deploy-plugin/src/store/state-store.ts';
import { startVersitygw } from '../test/support/s3-servers.ts';
import { median } from './lib/report.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '10' }, projects: { type: 'string', default: '6' } } });
const rounds = Number(values.rounds);
const projects = Array.from({ length: Number(values.projects) }, (_, i) => `p${i}`);
const GOAL_MS = 1_000;

/** One deploy's worth of store traffic, timed; `round` keeps record ids apart. */
async function deployRound(openStore, round) {
  const started = performance.now();
  const store = await openStore();
  await store.locks.status('staging');
  for (const p of projects) await lastGood(store.ledger, 'staging', p);
  const lease = await store.locks.acquire('staging', { actor: 'bench', what: 'deploy p0' });
  const record = {
    id: `${new Date().toISOString()}-p0-${round}`,
    project: 'p0',
    env: 'staging',
    kind: 'deploy',
    version: '1.0.0',
    gitSha: 'bench',
    status: 'started',
    actor: 'bench',
    startedAt: new Date().toISOString(),
    ...(lease.generation ? { generation: lease.generation } : {}),
  };
  await store.ledger.append(record);
  await store.blobs.get('services/staging/p0.container.json');
  await store.blobs.put('services/staging/p0.container.json', JSON.stringify({ round }));
  await store.ledger.append({ ...record, status: 'succeeded', finishedAt: new Date().toISOString() });
  await lease.release();
  return performance.now() - started;
}

const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-bench-store-'));
const s3 = await startVersitygw();
try {
  const state = s3.state(s3.bucket('bench'));
  const open = (config) => () => openStateConfig(config, join(dir, 'state'), { environ: s3.env, redactor: new Redactor() });
  const variants = { file: open({ backend: 'file' }), s3: open(state) };
  const times = { file: [], s3: [] };
  // The first round of each loads its modules (the AWS SDK, ~0.2 s, for s3 only): reported apart.
  const first = {};
  for (const name of Object.keys(variants)) first[name] = await deployRound(variants[name], -1);
  for (let r = 0; r < rounds; r++) for (const name of Object.keys(variants)) times[name].push(await deployRound(variants[name], r));
  const [file, s3ms] = [median(times.file), median(times.s3)];
  console.log(`state store traffic of one deploy (${projects.length} projects read for the plan), median of ${rounds} rounds, same run`);
  console.log(`  file  ${file.toFixed(1)} ms   [${times.file.map((t) => t.toFixed(0)).join(', ')}]`);
  console.log(`  s3    ${s3ms.toFixed(1)} ms   [${times.s3.map((t) => t.toFixed(0)).join(', ')}]  (versitygw on loopback)`);
  const added = first.s3 - first.file;
  console.log(
    `  s3 / file: ${(s3ms / file).toFixed(1)}x; in a deploy's process (its first use: module loading included) the s3 store adds ${added.toFixed(0)} ms`,
  );
  console.log(`goal: the s3 store adds under ${GOAL_MS} ms to a deploy: ${added < GOAL_MS ? 'PASS' : 'MISS'} (reported, never enforced)`);
} finally {
  await s3.stop();
  rmSync(dir, { recursive: true, force: true });
}
