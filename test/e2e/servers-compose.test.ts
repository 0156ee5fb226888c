import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import {
  buildBaseImage,
  containerEnv,
  DEFAULT_BASE_IMAGE_TAG,
  removeContainers,
  startPodmanService,
  startRegistry,
  type PodmanService,
  type Registry,
} from '../support/containers.ts';
import { startPostgres, type Postgres } from '../support/postgres.ts';
import { startTestHosts, type TestHost, type TestHosts } from '../support/test-hosts.ts';

const SMOKE_TOKEN = 'compose-servers-smoke-token-5d1e';
const PORT = 3210;

// Runtime compose on two servers: each server runs the docker CLI and docker-compose against its own
// engine (podman's Docker API inside the host), gets its own copy of the compose file under
// ~/.nx-deploy/compose, and keeps the previous compose project for a rollback; the settings reach
// compose through a private env file, never a command line.
describe('compose runtime on servers over SSH', () => {
  let t: TestHosts;
  let hosts: TestHost[];
  let registry: Registry;
  let runner: PodmanService;
  let pg: Postgres;
  let clone: Clone;
  let knownHosts: string;
  let runnerVars: Record<string, string>;

  const vars = () => ({
    ...runnerVars,
    POD_BASE_IMAGE: DEFAULT_BASE_IMAGE_TAG,
    NX_DEPLOY_FILE: 'deploy.test.json',
    STAGING_DATABASE_URL: pg.url,
    POD_SMOKE_TOKEN: SMOKE_TOKEN,
    SSH_KEY: t.clientKey,
    SSH_KNOWN_HOSTS: knownHosts,
  });
  const deploy = () => clone.run('npx', ['nx', 'run', 'api-server:deploy:staging', '--output-style=static', '--excludeTaskDependencies'], vars());
  const last = () =>
    readFileSync(join(clone.dir, '.nx-deploy-test', 'ledger', 'staging.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .at(-1);
  const gitShaOn = async (h: TestHost) =>
    ((await (await fetch(`http://${h.address}:${PORT}/health`, { signal: AbortSignal.timeout(3_000) })).json()) as { gitSha: string }).gitSha;
  const composeFiles = (h: TestHost) =>
    existsSync(join(h.home, '.nx-deploy', 'compose')) ? readdirSync(join(h.home, '.nx-deploy', 'compose')).sort() : [];

  beforeAll(async () => {
    t = await startTestHosts(2);
    hosts = t.hosts;
    knownHosts = t.knownHosts();
    const dir = join(hosts[0]!.dir, '..');
    [registry, pg, clone] = await Promise.all([
      // No password here: podman's Docker API (this machine's stand-in for a Docker engine) cannot log in to a
      // plain-HTTP registry off localhost; registry logins over SSH are proven by the container runtime's test.
      startRegistry(join(dir, 'registry'), { address: hosts[0]!.gateway }),
      startPostgres('pod', { listen: hosts[0]!.gateway }),
      cloneWorkspace(),
    ]);
    const env = containerEnv(join(dir, 'runner-containers'), { insecureRegistries: [registry.host] });
    [runner] = await Promise.all([startPodmanService(join(dir, 'runner-service'), env), buildBaseImage(env)]);
    runnerVars = runner.dockerEnv;
    await Promise.all(hosts.map((h) => h.startDockerApi([registry.host])));
    writeFileSync(
      join(clone.dir, 'deploy.test.json'),
      JSON.stringify({
        stateDir: '.nx-deploy-test',
        environments: {
          staging: {
            runtime: 'compose',
            ssh: { user: 'root', privateKeyVariable: 'SSH_KEY', knownHostsVariable: 'SSH_KNOWN_HOSTS' },
            containers: { registry: registry.host, engine: 'docker', insecure: true },
            database: { urlVariable: 'STAGING_DATABASE_URL' },
            services: {
              'api-server': {
                url: `http://api.invalid:${PORT}`,
                servers: hosts.map((h) => h.address),
                rollout: { parallel: 2 },
                healthPath: '/health',
              },
            },
            secrets: ['POD_SMOKE_TOKEN'],
          },
        },
      }),
    );
  }, 300_000);
  afterAll(async () => {
    try {
      await clone?.remove();
      pg?.stop();
      if (runner) await removeContainers(runner.dockerEnv).catch(() => undefined);
      await runner?.stop();
      await registry?.stop();
    } finally {
      // The hosts' cleanup removes their containers and stops what else runs in them (the proxies).
      await t?.stop();
    }
  }, 120_000);

  it('brings the compose file up on both servers at once (parallel: 2), each with its own copy of the file', async () => {
    const res = await deploy();
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toContain(`▶ ${hosts[0]!.address}, ${hosts[1]!.address} (2 of 2)`);
    expect(res.all).toMatch(
      /: [A-Z_,]*POD_IMAGE=\(from a private env file\) docker-compose --project-name api-server-staging-\w+ --file \.nx-deploy\/compose\/api-server-staging-\w+\.yml up --detach/,
    );
    expect(res.all).not.toContain(SMOKE_TOKEN);
    const sha = await clone.git('rev-parse', 'HEAD');
    for (const h of hosts) {
      expect(await gitShaOn(h)).toBe(sha);
      expect(composeFiles(h)).toHaveLength(1);
    }
    expect(last().servers.map((s: { state: string }) => s.state)).toEqual(['deployed', 'deployed']);
  });

  it('a second release, then nx-deploy rollback starts the previous compose project on every server', async () => {
    const first = last();
    await clone.commit('second release');
    const second = await deploy();
    expect(second.exitCode, second.all as string).toBe(0);
    for (const h of hosts) expect(composeFiles(h)).toHaveLength(2); // the one serving and the previous, kept
    const res = await clone.run('npx', ['nx-deploy', 'rollback', 'api-server', '--env', 'staging'], vars());
    expect(res.exitCode, res.all as string).toBe(0);
    for (const h of hosts) {
      expect(await gitShaOn(h)).toBe(first.gitSha);
      expect(composeFiles(h)).toHaveLength(1);
    }
    expect(last()).toMatchObject({ kind: 'rollback', status: 'succeeded', servers: [{ state: 'rolled back' }, { state: 'rolled back' }] });
  });
});
