// Servers benchmark: the roll-out of the api-server to 1, 2 and 4 servers (test hosts: network
// namespaces of this machine with their own sshd and podman), one at a time and 4 at once
// (rollout.parallel: 4), each a real deploy from a clone with a new image every round, interleaved.
// Prints the roll-out step's median time per variant, the ratio to one server measured in the same
// run, the time each added server costs when rolled one after another, the SSH connections each
// server accepted per deploy (the goal: one), and how busy this machine's cores were meanwhile: the
// test servers share its cores, so work that would run side by side on four real servers (podman,
// each new version's start) queues here. Goal: 4 servers with parallel: 4 within 1.2x one server.
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
let sampler;
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
  // The machine's busy CPU time (all cores), sampled, to tell how busy the cores were during a roll-out.
  const cores = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((l) => /^cpu\d/.test(l)).length;
  const busy = [];
  const sampleCpu = () => {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    busy.push([Date.now(), (user + nice + system + irq + softirq + steal) * 10]); // ms of CPU (USER_HZ = 100)
  };
  sampler = setInterval(sampleCpu, 20);
  const busyBetween = (from, to) => {
    const at = (t) => busy.findLast(([time]) => time <= t)?.[1] ?? busy[0][1];
    return (at(to) - at(from)) / (to - from) / cores;
  };
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
    const index = record.steps.findIndex((s) => s.name === 'rollout');
    const from = Date.parse(record.startedAt) + record.steps.slice(0, index).reduce((n, s) => n + s.durationMs, 0);
    const ms = record.steps[index].durationMs;
    return { ms, logins: logins.slice(0, v.servers), busy: busyBetween(from, from + ms) };
  }
  // Every host pulls the base layers once before anything is timed.
  console.log('warming up: every variant deployed once');
  for (const v of variants) await deploy(v);
  const times = Object.fromEntries(variants.map((v) => [v.env, []]));
  const busyness = Object.fromEntries(variants.map((v) => [v.env, []]));
  const logins = Object.fromEntries(variants.map((v) => [v.env, []]));
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const d = await deploy(v);
      times[v.env].push(d.ms);
      busyness[v.env].push(d.busy);
      logins[v.env].push(...d.logins);
      console.log(
        `  round ${r + 1}: ${v.env.padEnd(13)} roll-out ${d.ms} ms, cores ${Math.round(d.busy * 100)}% busy, SSH logins per server ${d.logins.join(' ')}`,
      );
    }
  }
  const one = median(times.one);
  console.log(`\nroll-out of the api-server over SSH, median of ${rounds} rounds (a new image each), same run`);
  for (const v of variants) {
    const m = median(times[v.env]);
    const cpu = Math.round(median(busyness[v.env]) * 100);
    console.log(
      `  ${v.env.padEnd(13)} ${String(Math.round(m)).padStart(6)} ms  ${(m / one).toFixed(2)}x one server  cores ${cpu}% busy   [${times[v.env].join(', ')}]`,
    );
  }
  const perAdded = (median(times.four) - one) / 3;
  console.log(`  each server added one after another: +${Math.round(perAdded)} ms (${(perAdded / one).toFixed(2)}x one server)`);
  const maxLogins = Math.max(...Object.values(logins).flat());
  console.log(`  SSH connections per server per deploy: ${maxLogins === 1 ? 'one' : `up to ${maxLogins}`}`);
  const ratio = median(times['four-parallel']) / one;
  console.log(
    `goal: 4 servers with parallel: 4 within ${GOAL}x one server: ${ratio.toFixed(2)}x ${ratio <= GOAL ? 'PASS' : 'MISS'} (reported, never enforced)`,
  );
  console.log(
    `  (${cores} cores, shared by the deploy and the ${hosts.length} test servers: where they are ~100% busy, what real servers would do side by side queues here)`,
  );
} finally {
  clearInterval(sampler);
  clone.remove();
  pg.stop();
  await registry.stop();
  await t.stop();
}
