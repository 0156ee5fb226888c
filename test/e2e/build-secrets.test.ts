import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { startContainerInfra, type ContainerInfra } from '../support/container-fixture.ts';

// A build secret (an npm token a real Containerfile would use to install private packages) reaches
// the build only as a mounted file (RUN --mount=type=secret), with podman and with buildah: the
// image proves the build read it (it keeps the secret's SHA-256), while no layer, no image config
// or history, no argv and no output holds the value; the file the build mounted from is gone.
describe('build secrets (RUN --mount=type=secret)', () => {
  const secret = 'npm_build-secret-value-4f1c9a';
  let infra: ContainerInfra;
  let clone: Clone;

  beforeAll(async () => {
    [infra, clone] = await Promise.all([startContainerInfra('build-secrets'), cloneWorkspace()]);
    const dockerfile = join(clone.dir, 'packages/mcp-server/Dockerfile');
    const read = `const c=require('crypto'),f=require('fs');f.writeFileSync('/app/build-secret.sha256',c.createHash('sha256').update(f.readFileSync('/run/secrets/npm_token')).digest('hex'))`;
    writeFileSync(
      dockerfile,
      readFileSync(dockerfile, 'utf8').replace('WORKDIR /app\n', `WORKDIR /app\nRUN --mount=type=secret,id=npm_token node -e "${read}"\n`),
    );
    const pkgFile = join(clone.dir, 'packages/mcp-server/package.json');
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    pkg.nx.targets['build-image'].options.secrets = { npm_token: 'BUILD_NPM_TOKEN' };
    writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
    const env = (engine: string) => ({ runtime: 'container', containers: { registry: infra.registry.host, engine }, services: {} });
    writeFileSync(join(clone.dir, 'deploy.test.json'), JSON.stringify({ environments: { qa: env('podman'), 'qa-buildah': env('buildah') } }));
    await clone.commit('the test: a Containerfile that reads a build secret');
  }, 300_000);
  afterAll(async () => {
    await clone?.remove();
    await infra?.stop();
  }, 120_000);

  const build = (env: string, vars: Record<string, string>) =>
    clone.run('npx', ['nx', 'run', `mcp-server:build-image:${env}`, '--output-style=static', '--excludeTaskDependencies'], {
      ...infra.vars,
      NX_DEPLOY_FILE: 'deploy.test.json',
      ...vars,
    });

  /** Every layer (decompressed) and the config of the image the registry serves for `tag`. */
  const imageFiles = async (tag: string): Promise<Buffer[]> => {
    const dir = mkdtempSync(join(tmpdir(), 'pod-image-'));
    try {
      await execa('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${infra.registry.host}/mcp-server:${tag}`, `dir:${dir}`], {
        env: { ...process.env, ...infra.env },
      });
      return readdirSync(dir)
        .filter((f) => f !== 'version')
        .map((f) => readFileSync(join(dir, f)))
        .map((b) => (b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  for (const [env, engine] of [
    ['qa', 'podman'],
    ['qa-buildah', 'buildah'],
  ] as const) {
    it(`${engine}: the build reads the secret, and it is in no layer, history, argv or output`, async () => {
      const res = await build(env, { BUILD_NPM_TOKEN: secret });
      expect(res.exitCode, res.all as string).toBe(0);
      expect(res.all).not.toContain(secret);
      const mounted = /--secret id=npm_token,src=(\S+)/.exec(res.all as string)?.[1];
      expect(mounted, res.all as string).toBeDefined();
      expect(existsSync(mounted!)).toBe(false); // removed after the build
      const files = await imageFiles(env);
      const hash = createHash('sha256').update(secret).digest('hex');
      expect(files.some((f) => f.includes(hash))).toBe(true); // the build did read it
      expect(files.filter((f) => f.includes(secret))).toEqual([]);
    });
  }

  it('a secret whose variable is unset stops the build before it starts, naming it', async () => {
    const res = await build('qa', {});
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toContain('mcp-server:build-image secrets.npm_token is read from BUILD_NPM_TOKEN, which is not set; set it (nothing was built)');
    expect(res.all).not.toMatch(/\$ podman build/);
  });
});
