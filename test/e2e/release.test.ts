import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { ensureRelease } from '../../tools/deploy-plugin/src/release/github.ts';
import { startCrateRegistry, type CrateRegistry } from '../support/crate-registry.ts';
import { startGitea, type Gitea } from '../support/gitea.ts';
import { startVerdaccio, type Verdaccio } from '../support/verdaccio.ts';

const NPM_TOKEN = 'npm-token-NEVER-SHOWN-91d2';

// The whole release on a clone of the workspace: a changeset bumping the SDK (minor) and the Rust
// SDK (patch), `npm run version-packages`, then the release against a real Verdaccio, a real crate
// registry (cargo-http-registry, driven by real cargo) and a real forge (Gitea): the tags pushed to
// its repository over HTTP, one release per tag created through GitHub's REST API at its /api/v1 (the API URL
// GitHub Enterprise users set), read back from Gitea.
describe('changeset -> version-packages -> release', () => {
  let clone: Clone;
  let verdaccio: Verdaccio;
  let crates: CrateRegistry;
  let gitea: Gitea;
  let env: Record<string, string>;

  beforeAll(async () => {
    // Each assigned as it starts, so afterAll stops what did start when another one fails to.
    await Promise.all([
      cloneWorkspace().then((c) => (clone = c)),
      startVerdaccio().then((v) => (verdaccio = v)),
      startCrateRegistry().then((c) => (crates = c)),
      startGitea().then((g) => (gitea = g)),
    ]);
    // The forge's repository holds the history; git authenticates by a header, so no URL carries a password.
    await clone.git('remote', 'add', 'forge', gitea.gitUrl);
    await clone.git('config', `http.${gitea.gitUrl}.extraHeader`, gitea.gitAuthHeader);
    await clone.git('push', '--quiet', 'forge', 'HEAD:refs/heads/main');
    const deployFile = JSON.parse(readFileSync(join(clone.dir, 'deploy.json'), 'utf8'));
    delete deployFile.environments.staging.state; // the repository's shared S3 store: here, the clone's own folder
    deployFile.release = {
      environment: 'staging',
      concurrency: 4,
      pushTags: 'forge',
      github: { repository: gitea.repository, apiUrl: gitea.apiUrl, tokenVariable: 'GITHUB_TOKEN' },
    };
    deployFile.environments.staging.npm = { registry: verdaccio.url, distTag: 'next', tokenVariable: 'NPM_TOKEN' };
    deployFile.environments.staging.crates = { registry: crates.name, index: crates.indexUrl, tokenVariable: 'CRATE_TOKEN' };
    writeFileSync(join(clone.dir, 'deploy.json'), JSON.stringify(deployFile, null, 2));
    writeFileSync(
      join(clone.dir, '.changeset', 'sdk-paging.md'),
      '---\n"@pod-protocol/sdk": minor\n"@pod-protocol/sdk-rust": patch\n---\n\nAgents can be listed page by page; the Rust SDK follows.\n',
    );
    await clone.commit('Add a changeset (#42)');
    // One target folder for cargo publish's verification build and the consumer build: the
    // crate's dependencies compile once.
    env = {
      ...crates.cargoEnv(),
      CARGO_TARGET_DIR: join(clone.dir, 'tmp', 'cargo-target'),
      NPM_TOKEN,
      GITHUB_TOKEN: gitea.token,
      CRATE_TOKEN: crates.token,
    };
  });
  afterAll(async () => {
    await Promise.all([verdaccio?.stop(), crates?.stop(), gitea?.stop()]);
    await clone?.remove();
  });

  const json = (path: string) => JSON.parse(readFileSync(join(clone.dir, path), 'utf8'));

  it('version-packages bumps npm packages and the crate together', async () => {
    const res = await clone.run('npm', ['run', 'version-packages'], env);
    expect(res.exitCode, res.all as string).toBe(0);
    expect(json('packages/sdk-typescript/package.json').version).toBe('0.2.0');
    expect(json('packages/cli/package.json').dependencies['@pod-protocol/sdk']).toBe('^0.2.0');
    expect(json('packages/sdk-rust/package.json').version).toBe('0.1.1');
    expect(readFileSync(join(clone.dir, 'packages/sdk-rust/Cargo.toml'), 'utf8')).toMatch(/^version = "0\.1\.1"$/m);
    expect(readFileSync(join(clone.dir, 'packages/sdk-rust/Cargo.lock'), 'utf8')).toMatch(/name = "pod-protocol-sdk"\nversion = "0\.1\.1"/);
    const lock = json('package-lock.json');
    expect(lock.packages['packages/sdk-typescript'].version).toBe('0.2.0');
    const changelog = readFileSync(join(clone.dir, 'packages/sdk-typescript/CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(
      /## 0\.2\.0\n\n### Minor Changes\n\n- \[#42\]\(https:\/\/github\.com\/pod-protocol\/pod-protocol\/pull\/42\) \[`[0-9a-f]{7}`\]/,
    );
    await clone.commit('Version packages');
  });

  it('publishes in dependency order, pushes the tags to the forge and creates one release per tag there', async () => {
    const res = await clone.run('npx', ['nx-deploy', 'release'], env);
    expect(res.exitCode, res.all as string).toBe(0);
    const view = async (name: string) => JSON.parse((await execa('npm', ['view', name, '--json', '--registry', verdaccio.url])).stdout);
    const sdk = await view('@pod-protocol/sdk');
    expect(sdk.versions).toEqual(['0.2.0']);
    expect(sdk['dist-tags'].next).toBe('0.2.0'); // (a registry also points latest at a first version)
    const cli = await view('@pod-protocol/cli');
    expect(cli.version).toBe('0.1.1');
    expect(cli.dependencies['@pod-protocol/sdk']).toBe('^0.2.0');
    expect((await view('@pod-protocol/nx-deploy')).versions).toEqual(['0.1.0']);

    const index = readFileSync(join(crates.dataDir, 'po', 'd-', 'pod-protocol-sdk'), 'utf8');
    expect(
      index
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).vers),
    ).toEqual(['0.1.1']);

    const tags = (await clone.git('tag', '--list')).split('\n').sort();
    expect(tags).toEqual(['@pod-protocol/cli@0.1.1', '@pod-protocol/nx-deploy@0.1.0', '@pod-protocol/sdk@0.2.0', 'pod-protocol-sdk@0.1.1']);
    expect((await gitea.tags()).sort()).toEqual(tags);
    const releases = await gitea.releases();
    expect(releases.map((r) => r.tag_name).sort()).toEqual(tags);
    expect(releases.find((r) => r.tag_name === '@pod-protocol/sdk@0.2.0')!.prerelease).toBe(false);
    const sdkRelease = releases.find((r) => r.tag_name === '@pod-protocol/sdk@0.2.0')!;
    expect(sdkRelease.body).toMatch(/^### Minor Changes\n\n- .*Agents can be listed page by page; the Rust SDK follows\.$/);
    expect(releases.find((r) => r.tag_name === 'pod-protocol-sdk@0.1.1')!.body).toContain('the Rust SDK follows');

    const ledger = readFileSync(join(clone.dir, '.nx-deploy/ledger/staging.jsonl'), 'utf8');
    const published = ledger
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((r) => r.kind === 'publish' && r.status === 'succeeded');
    expect(published.map((r) => r.artifact).sort()).toEqual([
      'crate:pod-protocol-sdk@0.1.1',
      'npm:@pod-protocol/cli@0.1.1',
      'npm:@pod-protocol/nx-deploy@0.1.0',
      'npm:@pod-protocol/sdk@0.2.0',
    ]);

    for (const secret of [NPM_TOKEN, gitea.token, crates.token]) {
      expect(res.all).not.toContain(secret);
      expect(ledger).not.toContain(secret);
    }
  });

  it('a crate depending on the published one builds against the registry', async () => {
    const app = join(clone.dir, 'tmp', 'consumer');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(
      join(app, 'Cargo.toml'),
      `[package]\nname = "consumer"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[dependencies]\npod-protocol-sdk = { version = "0.1.1", registry = "${crates.name}" }\n\n[workspace]\n`,
    );
    writeFileSync(
      join(app, 'src', 'main.rs'),
      'fn main() { let c = pod_protocol_sdk::Client::new("http://127.0.0.1:9"); println!("{}", c.health().is_err()); }\n',
    );
    const res = await execa('cargo', ['run', '--quiet'], { cwd: app, env: { ...process.env, ...env }, reject: false, all: true });
    expect(res.exitCode, res.all).toBe(0);
    expect(res.stdout.trim()).toBe('true');
  });

  it('a token the forge refuses is an error naming the API call and the status, without the token', async () => {
    const wrong = 'not-a-forge-token-0e6d1a';
    const err = await ensureRelease({ repository: gitea.repository, apiUrl: gitea.apiUrl, token: wrong }, 'never@1.0.0', 'x', false).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      new RegExp(`^GET ${gitea.apiUrl.replace(/[.]/g, '\\.')}/repos/${gitea.repository}/releases/tags/never%401\\.0\\.0 answered 401`),
    );
    expect(err?.message).not.toContain(wrong);
    expect((await gitea.releases()).map((r) => r.tag_name)).not.toContain('never@1.0.0');
  });

  it('a second release publishes nothing, says so, leaves the forge alone, and is quick', async () => {
    const releasesBefore = await gitea.releases();
    const started = Date.now();
    const res = await clone.run('npx', ['nx-deploy', 'release'], env);
    const seconds = (Date.now() - started) / 1000;
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toContain('nothing to publish: all 4 packages are already on their registries');
    console.log(`re-run with nothing new: ${seconds.toFixed(2)} s`);
    expect(await gitea.releases()).toEqual(releasesBefore); // each left alone
    // What a run racing this one would meet creating a release that exists: Gitea's 409 (GitHub's
    // 422), which ensureRelease (release/github.ts) counts as existing.
    const duplicate = await fetch(`${gitea.apiUrl}/repos/${gitea.repository}/releases`, {
      method: 'POST',
      headers: { authorization: `token ${gitea.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tag_name: '@pod-protocol/sdk@0.2.0', name: 'again', body: '' }),
    });
    expect(duplicate.status).toBe(409);
    expect((await gitea.tags()).sort()).toHaveLength(4);
    expect(existsSync(join(clone.dir, '.nx-deploy', 'locks', 'release'))).toBe(false);
  });
});
