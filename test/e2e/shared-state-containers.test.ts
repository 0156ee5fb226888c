import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../tools/deploy-plugin/src/core/redact.ts';
import { openStateConfig } from '../../tools/deploy-plugin/src/store/open.ts';
import type { StateStore } from '../../tools/deploy-plugin/src/store/state-store.ts';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { startContainerInfra, type ContainerInfra } from '../support/container-fixture.ts';
import { freePort } from '../support/ports.ts';
import { startVersitygw, type S3Server } from '../support/s3-servers.ts';
import { testToolsDir } from '../../scripts/provision/tools-dir.mjs';

// Staging deployed from one runner, production from another, their only link the state store (a
// bucket of versitygw, a real S3 server): staging builds, signs (cosign, the commit in the payload)
// and attaches an SBOM (syft); production verifies both and promotes the digest staging recorded,
// without a build, and a failed production deploy from runner B rolls back to the container runner
// A deployed before. Then the attacks on promotion: records planted in the store by something with
// staging's write access, each refused before anything changes. The MCP server runs as a container
// (podman) of images in a local registry.
describe('promotion and rollback across runners (s3 store, containers, signed images)', () => {
  let s3: S3Server;
  let infra: ContainerInfra;
  let a: Clone;
  let b: Clone;
  let store: StateStore;
  let ports: { staging: number; production: number };
  let keys: string;
  const tools = join(testToolsDir(), 'bin');
  const publicKey = () => readFileSync(join(keys, 'cosign.pub'), 'utf8');

  const config = (productionHealthPath: string) => ({
    state: s3.state('deploys'),
    environments: {
      staging: {
        runtime: 'container',
        containers: {
          registry: infra.registry.host,
          engine: 'podman',
          signing: { publicKey: publicKey(), privateKeyVariable: 'STAGING_COSIGN_KEY', passwordVariable: 'STAGING_COSIGN_PASSWORD' },
        },
        services: { 'mcp-server': { url: `http://127.0.0.1:${ports.staging}`, healthPath: '/health' } },
      },
      production: {
        runtime: 'container',
        // Production's public key is a file committed with the workspace, as a user keeps it.
        containers: { registry: infra.registry.host, engine: 'podman', promoteFrom: 'staging', signing: { publicKey: 'keys/cosign.pub' } },
        services: { 'mcp-server': { url: `http://127.0.0.1:${ports.production}`, healthPath: productionHealthPath } },
      },
    },
  });

  const cosign = (args: string[], env: Record<string, string> = {}) =>
    execa(join(tools, 'cosign'), args, { env: { PATH: process.env.PATH, HOME: keys, ...env }, extendEnv: false, cwd: keys });

  beforeAll(async () => {
    [s3, infra, a, b] = await Promise.all([startVersitygw(), startContainerInfra('shared-containers'), cloneWorkspace(), cloneWorkspace()]);
    s3.bucket('deploys');
    ports = { staging: await freePort(), production: await freePort() };
    keys = mkdtempSync(join(tmpdir(), 'pod-cosign-keys-'));
    await cosign(['generate-key-pair'], { COSIGN_PASSWORD: 'staging-key-password' });
    await cosign(['generate-key-pair', '--output-key-prefix', 'attacker'], { COSIGN_PASSWORD: '' });
    writeFileSync(join(a.dir, 'deploy.test.json'), JSON.stringify(config('/health'), null, 2));
    mkdirSync(join(a.dir, 'keys'), { recursive: true });
    writeFileSync(join(a.dir, 'keys', 'cosign.pub'), publicKey());
    const pkg = JSON.parse(readFileSync(join(a.dir, 'packages/mcp-server/package.json'), 'utf8'));
    pkg.nx.targets.rollout.options.startTimeoutMs = 8_000;
    writeFileSync(join(a.dir, 'packages/mcp-server/package.json'), JSON.stringify(pkg, null, 2));
    await a.commit('the test runners: an 8 s health deadline, the signing key');
    // Both runners at the very same commit: promotion is by commit.
    await b.git('pull', '--quiet', '--ff-only', a.dir, 'HEAD');
    store = await openStateConfig(s3.state('deploys') as never, join(a.dir, '.nx-deploy'), { environ: s3.env, redactor: new Redactor() });
  }, 300_000);
  afterAll(async () => {
    await a?.remove();
    await b?.remove();
    await s3?.stop();
    await infra?.stop();
    if (keys) rmSync(keys, { recursive: true, force: true });
  }, 120_000);

  const deploy = (clone: Clone, actor: string, env: string) =>
    clone.run('npx', ['nx', 'run', `mcp-server:deploy:${env}`, '--output-style=static', '--excludeTaskDependencies'], {
      ...infra.vars,
      ...s3.env,
      PATH: `${tools}${delimiter}${process.env.PATH}`,
      NX_DEPLOY_FILE: 'deploy.test.json',
      DEPLOY_ACTOR: actor,
      ...(env === 'staging'
        ? { STAGING_COSIGN_KEY: readFileSync(join(keys, 'cosign.key'), 'utf8'), STAGING_COSIGN_PASSWORD: 'staging-key-password' }
        : {}),
    });
  const last = async (env: string) => (await store.ledger.read(env)).records.at(-1)!;
  const history = (clone: Clone, env: string) =>
    clone.run('npx', ['nx-deploy', 'history', '--env', env], { ...s3.env, NX_DEPLOY_FILE: 'deploy.test.json' }).then((r) => r.stdout);
  const serving = async () => JSON.parse((await store.blobs.get('services/production/mcp-server.container.json'))!).current;

  it('promotes in runner B the digest runner A pushed for staging, without a build; both runners see both', async () => {
    const staged = await deploy(a, 'runner-a', 'staging');
    expect(staged.exitCode, staged.all as string).toBe(0);
    const image = (await last('staging')).image!;
    expect(image).toMatch(new RegExp(`^${infra.registry.host}/mcp-server@sha256:`));

    expect(staged.all).toMatch(
      new RegExp(`signed ${escape(image)} for commit [0-9a-f]{12}; its SBOM \\(\\d+ packages\\) is attached as a signed attestation`),
    );
    expect(staged.all).not.toContain('BEGIN ENCRYPTED'); // the private key itself
    expect(staged.all).not.toContain('staging-key-password');

    const promoted = await deploy(b, 'runner-b', 'production');
    expect(promoted.exitCode, promoted.all as string).toBe(0);
    expect(promoted.all).toContain(`verified ${image}: signed for commit`);
    expect(promoted.all).toContain(`promoting ${image} (passed staging); not rebuilding`);
    expect(promoted.all).not.toMatch(/podman build/);
    expect(await last('production')).toMatchObject({ actor: 'runner-b', status: 'succeeded', image });

    expect(await history(a, 'production')).toMatch(/mcp-server\s+deploy\s+0\.1\.0\s+\w+\s+succeeded\s+runner-b/);
    expect(await history(b, 'staging')).toMatch(/mcp-server\s+deploy\s+0\.1\.0\s+\w+\s+succeeded\s+runner-a/);
  });

  it('rolls a failed production deploy from runner B back to the container runner A deployed before', async () => {
    const fromA = await deploy(a, 'runner-a', 'production');
    expect(fromA.exitCode, fromA.all as string).toBe(0);
    const aContainer = await serving();
    // Runner B's next release never answers its health check.
    writeFileSync(join(b.dir, 'deploy.test.json'), JSON.stringify(config('/never-healthy'), null, 2));
    const failed = await deploy(b, 'runner-b', 'production');
    expect(failed.exitCode).not.toBe(0);
    expect(await last('production')).toMatchObject({
      actor: 'runner-b',
      status: 'rolled_back',
      rollback: { outcome: 'restored', serving: `0.1.0 (${aContainer.image})` },
    });
    expect(await serving()).toEqual(aContainer);
    expect(await infra.podman('ps', '--format', '{{.Names}}')).toContain(aContainer.name);
    expect((await fetch(`http://127.0.0.1:${ports.production}/health`)).status).toBe(200);
  });

  describe('a record planted in the store by something with staging write access', () => {
    let signed: string;
    const repository = () => `${infra.registry.host}/mcp-server`;
    const skopeo = (from: string, to: string, ...flags: string[]) =>
      execa('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', ...flags, `docker://${from}`, `docker://${to}`], {
        env: { ...process.env, ...infra.env },
      });
    const digestOf = async (repo: string, tag: string) =>
      (
        await infra.registry.fetch(`/v2/${repo}/manifests/${tag}`, {
          method: 'HEAD',
          headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
        })
      ).headers.get('docker-content-digest')!;
    /** A staging record of the clone's commit naming `image`, as an attacker would append it. */
    const plant = async (image: string, gitSha?: string) => {
      const good = (await store.ledger.read('staging')).records.findLast((r) => r.status === 'succeeded')!;
      const { generation: _, ...record } = good;
      await store.ledger.append({
        ...record,
        id: `planted-${Date.now()}`,
        image,
        gitSha: gitSha ?? good.gitSha,
        startedAt: new Date().toISOString(),
      });
    };
    /** Production from runner B is refused with `why`, and nothing changed: its ledger, what serves, the registry's production tag. */
    const refused = async (why: RegExp) => {
      const before = {
        records: (await store.ledger.read('production')).records.length,
        serving: await serving(),
        tag: await digestOf('mcp-server', 'production'),
      };
      const res = await deploy(b, 'runner-b', 'production');
      expect(res.exitCode, res.all as string).not.toBe(0);
      expect(res.all).toMatch(why);
      expect(res.all).toContain('Nothing was changed.');
      expect(res.all).not.toMatch(/\n\s+at .*\(/); // a sentence, no stack trace
      expect({
        records: (await store.ledger.read('production')).records.length,
        serving: await serving(),
        tag: await digestOf('mcp-server', 'production'),
      }).toEqual(before);
    };

    beforeAll(async () => {
      signed = (await store.ledger.read('staging')).records.findLast((r) => r.status === 'succeeded')!.image!;
      // Put runner B's deploy file back to a healthy production (the test above broke it on purpose).
      writeFileSync(join(b.dir, 'deploy.test.json'), JSON.stringify(config('/health'), null, 2));
    });

    it('an image of another repository (the signed digest itself, copied there) is refused', async () => {
      const digest = signed.split('@')[1]!;
      await skopeo(signed, `${infra.registry.host}/attacker:1`);
      await plant(`${infra.registry.host}/attacker@${digest}`);
      await refused(
        new RegExp(
          `refusing to promote to production the image staging's record names: ${escape(infra.registry.host)}/attacker@sha256:[0-9a-f]{64} is not in ${escape(repository())}`,
        ),
      );
    });

    it('an unsigned digest in the right repository, then one signed by another key, then one signed without its SBOM: each refused', async () => {
      // Same layers, another manifest (OCI instead of Docker format): a digest nobody signed.
      await skopeo(signed, `${repository()}:planted`, '--format', 'oci');
      const planted = `${repository()}@${await digestOf('mcp-server', 'planted')}`;
      expect(planted).not.toBe(signed);
      const gitSha = (await store.ledger.read('staging')).records.findLast((r) => r.status === 'succeeded')!.gitSha;
      await plant(planted);
      await refused(new RegExp(`refusing to promote ${escape(planted)} to production: it is not signed\\. Nothing was changed\\.`));

      const sign = (key: string, password: string) =>
        cosign(['sign', '--yes', '--key', key, '--tlog-upload=false', '--allow-http-registry', '-a', `commit=${gitSha}`, planted], {
          COSIGN_PASSWORD: password,
        });
      await sign('attacker.key', '');
      await refused(/: no signature on it verifies with the public key in deploy\.json\. Nothing was changed\./);

      // The right key over the right commit, but no SBOM attestation: still refused.
      await sign('cosign.key', 'staging-key-password');
      await refused(/: it has no SBOM attestation signed with the key in deploy\.json \(.*no matching attestations.*\)\. Nothing was changed\./);
    });

    it('a signed digest named for another commit is refused, naming the commit it was signed for', async () => {
      const signedFor = (await store.ledger.read('staging')).records.findLast((r) => r.image === signed)!.gitSha;
      await b.commit('a commit that never passed staging');
      const head = await b.git('rev-parse', 'HEAD');
      await plant(signed, head);
      await refused(
        new RegExp(
          `refusing to promote ${escape(signed)} to production: its signature is for commit ${signedFor.slice(0, 12)}, not ${head.slice(0, 12)}`,
        ),
      );
    });
  });

  it("a build whose private key is not the public key's other half fails at once, saying so, before any promotion could refuse it", async () => {
    const mismatched = config('/health');
    mismatched.environments.staging.containers.signing.publicKey = readFileSync(join(keys, 'attacker.pub'), 'utf8');
    writeFileSync(join(a.dir, 'deploy.test.json'), JSON.stringify(mismatched, null, 2));
    const failed = async () => (await store.ledger.read('staging')).records.filter((r) => r.status === 'failed').length;
    const failedBefore = await failed();
    const res = await deploy(a, 'runner-a', 'staging');
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toContain(
      'the image just signed does not verify with environments.staging.containers.signing.publicKey (no signature on it verifies with the public key in deploy.json): is STAGING_COSIGN_KEY the private half of that public key?',
    );
    expect(await failed()).toBe(failedBefore + 1);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
