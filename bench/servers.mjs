// Servers benchmark: the roll-out of the api-server to 1, 2 and 4 servers (test hosts: network
// namespaces of this machine with their own sshd and podman), one at a time and 4 at once
// (rollout.parallel: 4), each a real deploy from a clone with a new image every round, interleaved.
// Prints the roll-out step's median time per variant, the ratio to one server measured in the same
// run, the time each added server costs when rolled one after another, and the SSH connections each
// server accepted per deploy (the goal: one). Goal: 4 servers with parallel: 4 within 1.2x one server.
// Never fails on a time. Needs root (namespaces), openssh-server, podman and docker-registry.
//   npm run bench:servers [-- --rounds 3]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cloneWorkspace } from '../test/support/clone.ts';
import { buildBaseImage, containerEnv, DEFAULT_BASE_IMAGE_TAG, startRegistry } from '../test/support/containers.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { startTestHosts } from '../test/support/test-hosts.ts';
import { median } from './lib/report.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const rounds = Number(values.rounds);
const GOAL = 1.2;

const t = await startTestHosts(4);
const hosts = t.hosts;
const dir = join(hosts[0].dir, '..');
const [registry, pg, clone] = await Promise.all([
  startRegistry(join(dir, 'registry'), { address: hosts[0].gateway }),
  startPostgres('pod', { listen: hosts[0].gateway }),
  cloneWorkspace(),
]);
try {
  const runner = containerEnv(join(dir, 'runner-containers'), { insecureRegistries: [registry.host] });
  await buildBaseImage(runner);
  // One environment per variant, each on its own port, so their containers live side by side on a host.
  const variants = [
    { env: 'one', servers: 1, parallel: 1, port: 3301 },
    { env: 'two', servers: 2, parallel: 1, port: 3302 },
    { env: 'four', servers: 4, parallel: 1, port: 3304 },
    { env: 'four-parallel', servers: 4, parallel: 4, port: 3305 },
  ];
  const environment = (v) => ({
    runtime: 'container',
    ssh: { user: 'root', privateKeyVariable: 'SSH_KEY', knownHostsVariable: 'SSH_KNOWN_HOSTS' },
    containers: { registry: registry.host, engine: 'podman', insecure: true },
    database: { urlVariable: 'DATABASE_URL_ALL' },
    services: {
      'api-server': {
        url: `http://api.invalid:${v.port}`,
        servers: hosts.slice(0, v.servers).map((h) => h.address),
        rollout: { parallel: v.parallel },
        healthPath: '/health',
      },
    },
    secrets: ['POD_SMOKE_TOKEN'],
  });
  writeFileSync(
    join(clone.dir, 'deploy.bench.json'),
    JSON.stringify({ stateDir: '.nx-deploy-bench', environments: Object.fromEntries(variants.map((v) => [v.env, environment(v)])) }),
  );
  const vars = {
    ...runner,
    POD_BASE_IMAGE: DEFAULT_BASE_IMAGE_TAG,
    NX_DEPLOY_FILE: 'deploy.bench.json',
    DATABASE_URL_ALL: pg.url,
    POD_SMOKE_TOKEN: 'bench-smoke-token-0000',
    SSH_KEY: t.clientKey,
    SSH_KNOWN_HOSTS: t.knownHosts(),
  };
  const accepted = () => hosts.map((h) => (h.sshdLog().match(/Accepted publickey/g) ?? []).length);
  /** One deploy of a new commit; the roll-out step's time from the ledger, and the SSH logins each server saw. */
  async function deploy(v) {
    await clone.commit(`bench ${v.env}`);
    const before = accepted();
    const res = await clone.run('npx', ['nx', 'run', `api-server:deploy:${v.env}`, '--output-style=static', '--excludeTaskDependencies'], vars);
    if (res.exitCode !== 0) throw new Error(`the deploy to ${v.env} failed:\n${String(res.all).slice(-3000)}`);
    const record = readFileSync(join(clone.dir, '.nx-deploy-bench', 'ledger', `${v.env}.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .map(JSON.parse)
      .at(-1);
    const logins = accepted().map((n, i) => n - before[i]);
    return { ms: record.steps.find((s) => s.name === 'rollout').durationMs, logins: logins.slice(0, v.servers) };
  }
  // Every host pulls the base layers once before anything is timed.
  console.log('warming up: every variant deployed once');
  for (const v of variants) await deploy(v);
  const times = Object.fromEntries(variants.map((v) => [v.env, []]));
  const logins = Object.fromEntries(variants.map((v) => [v.env, []]));
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const d = await deploy(v);
      times[v.env].push(d.ms);
      logins[v.env].push(...d.logins);
      console.log(`  round ${r + 1}: ${v.env.padEnd(13)} roll-out ${d.ms} ms, SSH logins per server ${d.logins.join(' ')}`);
    }
  }
  const one = median(times.one);
  console.log(`\nroll-out of the api-server over SSH, median of ${rounds} rounds (a new image each), same run`);
  for (const v of variants) {
    const m = median(times[v.env]);
    console.log(`  ${v.env.padEnd(13)} ${String(Math.round(m)).padStart(6)} ms  ${(m / one).toFixed(2)}x one server   [${times[v.env].join(', ')}]`);
  }
  const perAdded = (median(times.four) - one) / 3;
  console.log(`  each server added one after another: +${Math.round(perAdded)} ms (${(perAdded / one).toFixed(2)}x one server)`);
  const maxLogins = Math.max(...Object.values(logins).flat());
  console.log(`  SSH connections per server per deploy: ${maxLogins === 1 ? 'one' : `up to ${maxLogins}`}`);
  const ratio = median(times['four-parallel']) / one;
  console.log(
    `goal: 4 servers with parallel: 4 within ${GOAL}x one server: ${ratio.toFixed(2)}x ${ratio <= GOAL ? 'PASS' : 'MISS'} (reported, never enforced)`,
  );
} finally {
  clone.remove();
  pg.stop();
  await registry.stop();
  await t.stop();
}
