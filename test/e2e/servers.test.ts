import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { watchCommandLines } from '../support/cmdline-watch.ts';
import { untilOutput } from '../support/output.ts';
import { buildBaseImage, containerEnv, DEFAULT_BASE_IMAGE_TAG, startRegistry, type ContainerEnv, type Registry } from '../support/containers.ts';
import { startPostgres, type Postgres } from '../support/postgres.ts';
import { startTestHosts, type TestHost, type TestHosts } from '../support/test-hosts.ts';

const SMOKE_TOKEN = 'servers-smoke-token-not-for-eyes-71c2';
const REGISTRY_PASSWORD = 'servers-registry-password-3e9a';
const DB_PASSWORD = 'servers-db-password-b4d7';
const PORT = 3200;

// Staging on two servers over SSH (network namespaces of this machine, each with its own sshd,
// podman storage, home and temp folder): the deploy, from a clone, reaches them only through SSH
// with pinned host keys and the test registry (password-protected, on the first host's gateway).
// PostgreSQL listens on that gateway too, with a password. A third host has its own database on its
// own loopback, which the deploy migrates through an SSH tunnel of that host.
describe('servers over SSH (container runtime, rolled one after another)', () => {
  let t: TestHosts;
  let h1: TestHost;
  let h2: TestHost;
  let h3: TestHost;
  let registry: Registry;
  let runnerEnv: ContainerEnv;
  let pg: Postgres;
  let hostPg: Postgres;
  let clone: Clone;
  /** The host keys pinned when the hosts were made. */
  let knownHosts: string;
  const secrets = () => [SMOKE_TOKEN, REGISTRY_PASSWORD, DB_PASSWORD, t.clientKey.split('\n')[2]!];

  const config = (over: { servers?: string[]; staging?: Record<string, unknown> } = {}) => ({
    stateDir: '.nx-deploy-test',
    environments: {
      staging: {
        runtime: 'container',
        ssh: { user: 'root', privateKeyVariable: 'STAGING_SSH_KEY', knownHostsVariable: 'STAGING_KNOWN_HOSTS' },
        containers: {
          registry: registry.host,
          engine: 'podman',
          insecure: true,
          usernameVariable: 'REGISTRY_USER',
          passwordVariable: 'REGISTRY_PASSWORD',
        },
        database: { urlVariable: 'STAGING_DATABASE_URL' },
        services: {
          'api-server': {
            url: `http://api.staging.invalid:${PORT}`,
            serverUrl: `http://{host}:${PORT}`,
            servers: over.servers ?? [h1.address, h2.address],
            healthPath: '/health',
            readyPath: '/ready',
            metricsPath: '/metrics',
          },
        },
        secrets: ['POD_SMOKE_TOKEN'],
        // A short load test of each server, one after the other.
        loadtest: { path: '/health', duration: '1s', connections: 2, budget: { maxErrorRate: 0.01 } },
        ...over.staging,
      },
      'host-db': {
        runtime: 'container',
        ssh: { user: 'root', privateKeyVariable: 'STAGING_SSH_KEY', knownHosts: [h3.knownHostsLine()] },
        containers: {
          registry: registry.host,
          engine: 'podman',
          insecure: true,
          usernameVariable: 'REGISTRY_USER',
          passwordVariable: 'REGISTRY_PASSWORD',
        },
        database: { urlVariable: 'HOST_DATABASE_URL' },
        services: {
          'api-server': { url: `http://${h3.address}:${PORT}`, servers: [h3.address], migrate: { on: 'server' }, healthPath: '/health' },
        },
        secrets: ['POD_SMOKE_TOKEN'],
      },
    },
  });
  const writeConfig = (c: unknown = config()) => writeFileSync(join(clone.dir, 'deploy.test.json'), JSON.stringify(c, null, 2));

  const vars = () => ({
    ...runnerEnv,
    POD_BASE_IMAGE: DEFAULT_BASE_IMAGE_TAG,
    NX_DEPLOY_FILE: 'deploy.test.json',
    REGISTRY_USER: 'deployer',
    REGISTRY_PASSWORD,
    STAGING_DATABASE_URL: pg.url,
    HOST_DATABASE_URL: hostPg.url,
    POD_SMOKE_TOKEN: SMOKE_TOKEN,
    STAGING_SSH_KEY: t.clientKey,
    STAGING_KNOWN_HOSTS: knownHosts,
  });
  const deploy = (env = 'staging', extra: Record<string, string> = {}) =>
    clone.run('npx', ['nx', 'run', `api-server:deploy:${env}`, '--output-style=static', '--excludeTaskDependencies'], { ...vars(), ...extra });
  const nxDeploy = (...args: string[]) => clone.run('npx', ['nx-deploy', ...args], vars());
  const ledger = (env = 'staging') =>
    readFileSync(join(clone.dir, '.nx-deploy-test', 'ledger', `${env}.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .reduce((m: Map<string, any>, r: any) => m.set(r.id, r), new Map())
      .values()
      .toArray();
  const last = (env = 'staging') => ledger(env).at(-1)!;
  /** What answers on a host: the gitSha its api-server reports. */
  const gitShaOn = async (h: TestHost) => {
    const res = await fetch(`http://${h.address}:${PORT}/health`, { signal: AbortSignal.timeout(3_000) });
    return ((await res.json()) as { gitSha: string }).gitSha;
  };
  const running = async (h: TestHost) => (await h.podman('ps', '--format', '{{.Names}} {{.Image}}')).split('\n').filter(Boolean);
  /** Files under a host's own folder holding `text`, outside the engine's storage (which keeps a container's environment, as `podman inspect` shows). */
  const filesWith = (h: TestHost, text: string) =>
    (readdirSync(h.dir, { recursive: true }) as string[])
      .filter((f) => !/^containers\/(store|run)\//.test(f))
      .map((f) => join(h.dir, f))
      .filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile() && readFileSync(f).includes(text));

  beforeAll(async () => {
    t = await startTestHosts(3);
    [h1, h2, h3] = t.hosts as [TestHost, TestHost, TestHost];
    knownHosts = `${h1.knownHostsLine()}\n${h2.knownHostsLine()}\n`;
    runnerEnv = containerEnv(join(h1.dir, '..', 'runner-containers'));
    [registry, pg, hostPg, clone] = await Promise.all([
      startRegistry(join(h1.dir, '..', 'registry'), { auth: { user: 'deployer', password: REGISTRY_PASSWORD }, address: h1.gateway }),
      startPostgres('pod', { listen: h1.gateway, password: DB_PASSWORD }),
      startPostgres('pod', { netns: h3.netns, password: DB_PASSWORD }),
      cloneWorkspace(),
    ]);
    runnerEnv = containerEnv(join(h1.dir, '..', 'runner-containers'), { insecureRegistries: [registry.host] });
    await buildBaseImage(runnerEnv);
    writeConfig();
  }, 300_000);
  afterAll(async () => {
    try {
      await clone?.remove();
      pg?.stop();
      hostPg?.stop();
      await registry?.stop();
    } finally {
      // The hosts' cleanup removes their containers and stops what else runs in them (the proxies).
      await t?.stop();
    }
  }, 120_000);

  it('deploys to both servers one after another: both run the pushed digest and answer at their addresses; no secret in any argv or left file', async () => {
    const watch = watchCommandLines();
    const res = await deploy();
    const commandLines = watch.stop();
    expect(res.exitCode, res.all as string).toBe(0);
    const record = last();
    expect(record).toMatchObject({ status: 'succeeded' });
    expect(record.image).toMatch(new RegExp(`^${registry.host}/api-server@sha256:`));
    expect(record.servers).toEqual([
      { server: h1.address, url: `http://${h1.address}:${PORT}`, serves: `0.1.0 (${record.image})`, state: 'deployed' },
      { server: h2.address, url: `http://${h2.address}:${PORT}`, serves: `0.1.0 (${record.image})`, state: 'deployed' },
    ]);
    // The load test went to each server; the record keeps each one's and the worst of them.
    expect(record.loadtest).toMatchObject({ passed: true, url: `http://${h1.address}:${PORT}/health` });
    expect(record.loadtest.servers.map((s: { server: string; passed: boolean; requests: number }) => [s.server, s.passed, s.requests > 0])).toEqual([
      [h1.address, true, true],
      [h2.address, true, true],
    ]);
    // Per-server steps, in order, and one SSH connection per server for the whole deploy.
    const out = res.all as string;
    expect(out.indexOf(`▶ ${h1.address} (1 of 2)`)).toBeGreaterThan(0);
    expect(out.indexOf(`▶ ${h2.address} (2 of 2)`)).toBeGreaterThan(out.indexOf(`▶ ${h1.address} (1 of 2)`));
    expect(out).toContain(`${h2.address}: podman pull --quiet --tls-verify=false --authfile`);
    for (const h of [h1, h2]) expect(h.sshdLog().match(/Accepted publickey/g)).toHaveLength(1);
    // Both run the new digest, answer at their own address with this commit, and nowhere else.
    const sha = await clone.git('rev-parse', 'HEAD');
    for (const h of [h1, h2]) {
      expect(await running(h)).toEqual([
        expect.stringMatching(new RegExp(`^api-server-staging-\\w+ ${record.image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)),
      ]);
      expect(await gitShaOn(h)).toBe(sha);
    }
    await expect(fetch(`http://127.0.0.1:${PORT}/health`)).rejects.toThrow();
    // Secrets: in no command line on either side while it ran, in no file left on a server.
    expect(commandLines.length).toBeGreaterThan(50);
    for (const secret of secrets()) {
      expect(commandLines.filter((l) => l.includes(secret))).toEqual([]);
      for (const h of [h1, h2]) expect(filesWith(h, secret)).toEqual([]);
    }
    for (const h of [h1, h2]) expect(readdirSync(join(h.dir, 'tmp')).filter((f) => f.startsWith('nx-deploy'))).toEqual([]);
    // history records both servers.
    const history = await nxDeploy('history', '--env', 'staging');
    expect(history.stdout).toContain(`    ${h1.address}: deployed, serves 0.1.0 (${record.image})`);
    expect(history.stdout).toContain(`    ${h2.address}: deployed, serves 0.1.0 (${record.image})`);
  });

  it('verification judges each server on its own samples: a trigger on one rolls every server back', async () => {
    const serving = last();
    await clone.commit('a release whose second server dies while it is watched');
    writeConfig(config({ staging: { verify: { window: '10s', interval: '1s', triggers: [{ metric: 'health', for: '2s' }] } } }));
    try {
      // `stream`: the task's output as it comes, so the test sees verification begin.
      const run = clone.run('npx', ['nx', 'run', 'api-server:deploy:staging', '--output-style=stream', '--excludeTaskDependencies'], vars());
      await untilOutput(run, 'verifying for');
      // The new version's container (the previous one runs beside it, warm, behind the proxy).
      const name = (await h2.podman('ps', '--latest', '--format', '{{.Names}}')).trim();
      await h2.podman('stop', '--time', '0', name);
      const res = await run;
      const out = res.all as string;
      expect(res.exitCode).not.toBe(0);
      // Each server sampled on its own; the one that died fired the trigger.
      expect(out).toMatch(new RegExp(`${h1.address.replace(/\./g, '\\.')}: \\d+\\.\\ds health up, ready up, \\d+ requests`));
      expect(out).toMatch(new RegExp(`${h2.address.replace(/\./g, '\\.')}: \\d+\\.\\ds health DOWN`));
      expect(out).toContain(`${h2.address}: health failing for 2s fired`);
      expect(last()).toMatchObject({
        status: 'rolled_back',
        servers: [
          { server: h1.address, state: 'rolled back', serves: `0.1.0 (${serving.image})` },
          { server: h2.address, state: 'rolled back', serves: `0.1.0 (${serving.image})` },
        ],
      });
      for (const h of [h1, h2]) expect(await gitShaOn(h)).toBe(serving.gitSha);
    } finally {
      writeConfig();
    }
  });

  it('a second server that fails stops the roll-out; the first rolls back and answers with the previous container; the ledger says per server', async () => {
    await clone.commit('second release');
    const ok = await deploy();
    expect(ok.exitCode, ok.all as string).toBe(0);
    const good = last();
    const goodSha = await clone.git('rev-parse', 'HEAD');
    await clone.commit('third release');
    // h2's podman storage made unusable: every podman command there fails.
    const conf = readFileSync(h2.env.CONTAINERS_STORAGE_CONF, 'utf8');
    writeFileSync(h2.env.CONTAINERS_STORAGE_CONF, '[storage\nthis is not toml\n');
    try {
      const res = await deploy();
      expect(res.exitCode).not.toBe(0);
      expect(res.all).toMatch(new RegExp(`the roll-out stopped at ${h2.address.replace(/\./g, '\\.')}`));
      expect(res.all).toContain(`rolling back ${h1.address}`);
      expect(last()).toMatchObject({
        status: 'rolled_back',
        servers: [
          { server: h1.address, state: 'rolled back', serves: `0.1.0 (${good.image})` },
          { server: h2.address, state: 'unchanged', serves: `0.1.0 (${good.image})` },
        ],
      });
    } finally {
      writeFileSync(h2.env.CONTAINERS_STORAGE_CONF, conf);
    }
    expect(await gitShaOn(h1)).toBe(goodSha);
    expect(await gitShaOn(h2)).toBe(goodSha);
    expect(await running(h1)).toEqual([expect.stringContaining(good.image)]);
  });

  it('nx-deploy rollback goes back one version on every server', async () => {
    const before = ledger().filter((r: any) => r.status === 'succeeded');
    const [first, second] = [before.at(-2), before.at(-1)];
    const res = await nxDeploy('rollback', 'api-server', '--env', 'staging');
    expect(res.exitCode, res.all as string).toBe(0);
    expect(last()).toMatchObject({ kind: 'rollback', status: 'succeeded' });
    for (const h of [h1, h2]) expect(await gitShaOn(h)).toBe(first.gitSha);
    expect(second.gitSha).not.toBe(first.gitSha);
    // Pinned, so that the next merge does not undo it; the next tests deploy again.
    expect(res.all).toContain('api-server is now pinned in staging');
    expect((await nxDeploy('unpin', 'api-server', '--env', 'staging')).exitCode).toBe(0);
  });

  it('a server whose host key changed is refused before anything runs on any server, naming it', async () => {
    const before = { h1: await running(h1), h2: await running(h2), records: ledger().length };
    const accepted = h1.sshdLog().match(/Accepted publickey/g)?.length ?? 0;
    await h2.changeHostKey();
    const res = await deploy();
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toContain(`${h2.address}: its host key is not the one pinned in the known_hosts in STAGING_KNOWN_HOSTS`);
    expect(res.all).toContain('nothing was run on any server');
    expect(res.all).not.toMatch(/podman build|▶ build-image/);
    expect(ledger().length).toBe(before.records);
    expect(await running(h1)).toEqual(before.h1);
    expect(await running(h2)).toEqual(before.h2);
    // h1 was connected to in the same check (and let go).
    expect(h1.sshdLog().match(/Accepted publickey/g)!.length).toBe(accepted + 1);
  });

  it('a missing key variable or known_hosts is one sentence and nothing runs', async () => {
    const before = ledger().length;
    const noKey = await deploy('staging', { STAGING_SSH_KEY: '' });
    expect(noKey.exitCode).not.toBe(0);
    expect(noKey.all).toContain(
      'api-server runs on servers in staging, and STAGING_SSH_KEY (environments.staging.ssh.privateKeyVariable), which must hold the SSH private key, is not set; nothing was run.',
    );
    const noHosts = await deploy('staging', { STAGING_KNOWN_HOSTS: '' });
    expect(noHosts.all).toContain(
      "STAGING_KNOWN_HOSTS (environments.staging.ssh.knownHostsVariable), which must hold the servers' known_hosts lines, is not set; nothing was run.",
    );
    for (const r of [noKey, noHosts]) expect(r.all).not.toMatch(/\n\s+at .*\.ts:\d+/);
    expect(ledger().length).toBe(before);
  });

  it('migrates a database only a server reaches through an SSH tunnel of that server (migrate.on: server)', async () => {
    const res = await deploy('host-db');
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(new RegExp(`the database is reached through ${h3.address.replace(/\./g, '\\.')} \\(an SSH tunnel`));
    expect(hostPg.psql('SELECT count(*) FROM agents')).toMatch(/^\d+$/);
    // The backup was taken through the same tunnel, onto this machine.
    expect(statSync(last('host-db').backupRef).size).toBeGreaterThan(0);
    const ready = await fetch(`http://${h3.address}:${PORT}/ready`);
    expect(ready.status).toBe(200);
  });
});
