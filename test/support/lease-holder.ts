// Holds the 'held' environment's lock and never lets go, as a deploy does mid-run:
//   node lease-holder.ts '<state JSON>' <actor>
// It records a started deploy under its lease, prints READY <generation>, and waits until it is
// killed; with SIGKILL its heartbeat stops and the lease expires.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redactor } from '../../tools/deploy-plugin/src/core/redact.ts';
import { openStateConfig } from '../../tools/deploy-plugin/src/store/open.ts';

const [state, actor] = process.argv.slice(2);
const store = await openStateConfig(JSON.parse(state!), mkdtempSync(join(tmpdir(), 'holder-')), { environ: process.env, redactor: new Redactor() });
const lease = await store.locks.acquire('held', { actor: actor!, what: 'deploy api-server' });
await store.ledger.append({
  id: `${new Date().toISOString()}-held`,
  project: 'api-server',
  env: 'held',
  kind: 'deploy',
  version: '0.1.0',
  gitSha: 'held',
  status: 'started',
  actor: actor!,
  startedAt: new Date().toISOString(),
  generation: lease.generation,
});
console.log(`READY ${lease.generation}`);
setInterval(() => undefined, 1_000);
