// One contender of the lock race in test/e2e/state-store.test.ts, run as its own process:
//   node lock-racer.ts '<state JSON>' <iterations> <name>
// Takes the 'race' environment's lock `iterations` times (retrying while someone else holds it),
// each time recording a deploy under its lease's generation, then releasing it. The test then
// reads the ledger: no two holders' records may overlap in time.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redactor } from '../../tools/deploy-plugin/src/core/redact.ts';
import { openStateConfig } from '../../tools/deploy-plugin/src/store/open.ts';
import { LockHeld } from '../../tools/deploy-plugin/src/store/state-store.ts';

const [state, iterations, name] = process.argv.slice(2);
const store = await openStateConfig(JSON.parse(state!), mkdtempSync(join(tmpdir(), 'racer-')), { environ: process.env, redactor: new Redactor() });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; i < Number(iterations); i++) {
  let lease;
  while (!lease) {
    lease = await store.locks.acquire('race', { actor: name!, what: `round ${i}` }).catch(async (err: unknown) => {
      if (!(err instanceof LockHeld)) throw err;
      await sleep(10 + Math.random() * 40);
      return undefined;
    });
  }
  const record = {
    id: `${new Date().toISOString()}-${name}-${i}`,
    project: 'race',
    env: 'race',
    kind: 'deploy',
    version: '0.0.0',
    gitSha: 'race',
    status: 'started' as const,
    actor: name!,
    startedAt: new Date().toISOString(),
    generation: lease.generation,
  };
  await store.ledger.append(record);
  await sleep(5);
  await store.ledger.append({ ...record, status: 'succeeded', finishedAt: new Date().toISOString() });
  await lease.release();
}
