import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { buildBaseImage, containerEnv, DEFAULT_BASE_IMAGE_TAG, startRegistry, type ContainerEnv, type Registry } from '../support/containers.ts';
import { rehearsalFaults, postFaults } from '../support/api-faults.ts';
import { untilOutput } from '../support/output.ts';
import { startPostgres, type Postgres } from '../support/postgres.ts';
import { describeFailures, steadyLoad, switchedAndBack, switchedTo, type LoadReport } from '../support/steady-load.ts';
import { startTestHosts, type TestHost, type TestHosts } from '../support/test-hosts.ts';

const TOKEN = 'cutover-servers-token-7d3a';
const FAULT_TOKEN = 'cutover-servers-fault-5e0b19c2';
const PORT = 3230;

// The cut-over on two servers (test hosts: network namespaces with their own sshd and podman), runtime
// container: each server has its own HAProxy on the service's port, started over SSH, its runtime
// API reached through the deploy's SSH connection. Four clients per server keep requesting each
// server's URL through a redeploy, a deploy whose smoke test fails, a deploy rolled back by a
// verification trigger and a manual rollback: none of their requests fails.
describe('cut-over on two servers without dropping a request (container runtime behind HAProxy)', () => {
  let t: TestHosts;
  let hosts: TestHost[];
  let registry: Registry;
  let runnerEnv: ContainerEnv;
  let pg: Postgres;
  let clone: Clone;
  let knownHosts: string;

  const config = (staging: Record<string, unknown> = {}) => ({
    stateDir: '.nx-deploy-test',
    environments: {
      staging: {
        runtime: 'container',
        ssh: { user: 'root', privateKeyVariable: 'SSH_KEY', knownHostsVariable: 'SSH_KNOWN_HOSTS' },
        proxy: { mode: 'required', haproxy: '/usr/sbin/haproxy', keepPreviousWarm: 'until-next-deploy' },
        containers: { registry: registry.host, engine: 'podman', insecure: true },
        database: { urlVariable: 'STAGING_DATABASE_URL' },
        services: {
          'api-server': {
            url: `http://api.staging.invalid:${PORT}`,
            servers: hosts.map((h) => h.address),
            healthPath: '/health',
            readyPath: '/ready',
            metricsPath: '/metrics',
          },
        },
        secrets: ['POD_SMOKE_TOKEN', 'POD_FAULT_TOKEN'],
        ...staging,
      },
    },
  });
  const configure = (c: unknown = config()) => writeFileSync(join(clone.dir, 'deploy.test.json'), JSON.stringify(c, null, 2));
  const vars = (extra: Record<string, string> = {}) => ({
    ...runnerEnv,
    POD_BASE_IMAGE: DEFAULT_BASE_IMAGE_TAG,
    NX_DEPLOY_FILE: 'deploy.test.json',
    STAGING_DATABASE_URL: pg.url,
    POD_SMOKE_TOKEN: TOKEN,
    POD_FAULT_TOKEN: FAULT_TOKEN,
    POD_APP_ENV: 'staging',
    SSH_KEY: t.clientKey,
    SSH_KNOWN_HOSTS: knownHosts,
    ...extra,
  });
  const deploy = (extra: Record<string, string> = {}, style = 'static') =>
    clone.run('npx', ['nx', 'run', 'api-server:deploy:staging', `--output-style=${style}`, '--excludeTaskDependencies'], vars(extra));
  const head = () => clone.git('rev-parse', 'HEAD');
  const last = () =>
    readFileSync(join(clone.dir, '.nx-deploy-test', 'ledger', 'staging.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .at(-1);
  /** Four clients on each server's URL. */
  const load = () =>
    hosts.map((h) => steadyLoad(`http://${h.address}:${PORT}/v1/agents`, { clients: 4, headers: { authorization: `Bearer ${TOKEN}` } }));
  /** Makes the version answering at `base` slow: 700 ms more per request (its test-only fault switch). */
  const slow = (base: string) => postFaults(base, FAULT_TOKEN, { latencyMs: 700 });
  const stop = async (loads: ReturnType<typeof load>): Promise<LoadReport[]> => Promise.all(loads.map((l) => l.stop()));
  const expectNoFailure = (reports: LoadReport[]) =>
    reports.forEach((r, i) => expect(r.failed, `${hosts[i]!.address}: ${describeFailures(r)}`).toEqual([]));

  beforeAll(async () => {
    t = await startTestHosts(2);
    hosts = t.hosts;
    knownHosts = t.knownHosts();
    const dir = join(hosts[0]!.dir, '..');
    [registry, pg, clone] = await Promise.all([
      startRegistry(join(dir, 'registry'), { address: hosts[0]!.gateway }),
      startPostgres('pod', { listen: hosts[0]!.gateway }),
      cloneWorkspace(),
    ]);
    runnerEnv = containerEnv(join(dir, 'runner-containers'), { insecureRegistries: [registry.host] });
    await buildBaseImage(runnerEnv);
    configure();
    await rehearsalFaults(clone);
    const first = await deploy();
    expect(first.exitCode, first.all as string).toBe(0);
    expect(first.all).toMatch(new RegExp(`proxy of api-server on ${hosts[0]!.address.replace(/\./g, '\\.')} started on :${PORT}`));
  }, 300_000);
  afterAll(async () => {
    try {
      await clone?.remove();
      pg?.stop();
      await registry?.stop();
    } finally {
      // The hosts' cleanup removes their containers and stops what else runs in them (the proxies).
      await t?.stop();
    }
  }, 120_000);

  it('(a) a redeploy of both servers under load: no request fails; each server switches from the old version to the new', async () => {
    const before = await head();
    await clone.commit('release 2');
    const loads = load();
    const res = await deploy();
    const reports = await stop(loads);
    expect(res.exitCode, res.all as string).toBe(0);
    expectNoFailure(reports);
    for (const r of reports) expect([r.switches[0], r.switches.at(-1)]).toEqual([before, await head()]);
    expect(res.all).toContain(`is healthy on 127.0.0.1`);
    expect(res.all).toMatch(/every request goes to the new version now on 2 servers/);
  });

  it('(b) a deploy whose smoke test fails never touches traffic on either server', async () => {
    const serving = await head();
    await clone.commit('release 3: a rate limit its smoke test does not reach');
    const loads = load();
    // With this limit the smoke test's "429 past the rate limit" check cannot pass.
    const res = await deploy({ POD_RATE_LIMIT_MAX: '1000000' });
    const reports = await stop(loads);
    expect(res.exitCode).not.toBe(0);
    expectNoFailure(reports);
    for (const r of reports) expect(Object.keys(r.byRevision)).toEqual([serving]);
    expect(last()).toMatchObject({ status: 'rolled_back', servers: [{ state: 'rolled back' }, { state: 'rolled back' }] });
  });

  it('(c) a deploy rolled back by a verification trigger switches both servers back to the warm previous version', async () => {
    const serving = (await clone.git('rev-parse', 'HEAD~1')).trim();
    await clone.commit('release 4');
    configure(config({ verify: { window: '8s', interval: '1s', triggers: [{ metric: 'latencyP95', threshold: 600, for: '2s', minRequests: 2 }] } }));
    // A failed expectation must not leave the deploy running (holding the lock) into the next test.
    let run: ReturnType<typeof deploy> | undefined;
    try {
      const loads = load();
      run = deploy({ POD_FAULT_INJECTION: 'enabled', POD_APP_ENV: 'test' }, 'stream');
      await untilOutput(run, 'verifying for');
      // Every request goes to the new version now: on the second server its answers are made slow (its test-only fault switch).
      expect((await slow(`http://${hosts[1]!.address}:${PORT}`)).status).toBe(200);
      const res = await run;
      const reports = await stop(loads);
      expect(res.exitCode, res.all as string).not.toBe(0);
      expectNoFailure(reports);
      for (const r of reports) expect(switchedAndBack(r, serving, await head()), r.switches.join(' → ')).toBe(true);
      expect(last()).toMatchObject({ status: 'rolled_back', rollback: { outcome: 'restored' } });
      expect(last().rollback.detail).toContain('switched back to the warm previous version');
    } finally {
      await run;
      configure();
    }
  });

  it('(d) nx-deploy rollback switches both servers to the warm version before (its first answer within 2 s, SSH logins included), no request failing', async () => {
    const succeeded = readFileSync(join(clone.dir, '.nx-deploy-test', 'ledger', 'staging.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((r) => r.status === 'succeeded' && r.kind === 'deploy');
    const [older, serving] = [succeeded.at(-2).gitSha, succeeded.at(-1).gitSha];
    const loads = load();
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const res = await clone.bin('nx-deploy', ['rollback', 'api-server', '--env', 'staging'], vars());
    const reports = await stop(loads);
    expect(res.exitCode, res.all as string).toBe(0);
    expectNoFailure(reports);
    for (const r of reports) {
      expect(switchedTo(r, serving, older), r.switches.join(' → ')).toBe(true);
      expect(r.seen.find((s) => s.at >= started && s.revision === older)!.at - started).toBeLessThan(2_000);
    }
  });
});
