import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { startVerdaccio, type Verdaccio } from '../support/verdaccio.ts';
import { TestDeployment } from '../support/workspace.ts';

const changeset = '---\n"@pod-protocol/sdk": minor\n"@pod-protocol/sdk-rust": patch\n---\n\nPaging.\n';

// Pre mode and snapshots give versions cargo accepts too; the publish steps of `deploy` publish a
// package once per version.
describe('prereleases', () => {
  let clone: Clone;
  beforeAll(async () => {
    clone = await cloneWorkspace();
  });
  afterAll(() => clone?.remove());

  const cargoVersion = async () => {
    const meta = await execa('cargo', [
      'metadata',
      '--offline',
      '--no-deps',
      '--format-version',
      '1',
      '--manifest-path',
      join(clone.dir, 'packages/sdk-rust/Cargo.toml'),
    ]);
    return JSON.parse(meta.stdout).packages[0].version as string;
  };

  it('pre mode versions npm packages and the crate alike', async () => {
    expect((await clone.run('npx', ['changeset', 'pre', 'enter', 'next'])).exitCode).toBe(0);
    writeFileSync(join(clone.dir, '.changeset', 'paging.md'), changeset);
    await clone.commit('pre mode + changeset');
    const res = await clone.run('npm', ['run', 'version-packages']);
    expect(res.exitCode, res.all as string).toBe(0);
    expect(JSON.parse(readFileSync(join(clone.dir, 'packages/sdk-typescript/package.json'), 'utf8')).version).toBe('0.2.0-next.0');
    expect(await cargoVersion()).toBe('0.1.1-next.0');
    expect(readFileSync(join(clone.dir, 'packages/sdk-rust/Cargo.lock'), 'utf8')).toContain('version = "0.1.1-next.0"');
  });

  it('snapshot versions are valid for cargo', async () => {
    await clone.git('reset', '--quiet', '--hard', 'origin/HEAD'); // back before pre mode
    await clone.git('clean', '-fdq', '--exclude=node_modules', '--exclude=dist');
    writeFileSync(join(clone.dir, '.changeset', 'paging.md'), changeset);
    const res = await clone.run('npx', ['changeset', 'version', '--snapshot', 'staging']);
    expect(res.exitCode, res.all as string).toBe(0);
    const sync = await clone.run('npx', ['nx-deploy', 'sync-crates']);
    expect(sync.exitCode, sync.all as string).toBe(0);
    expect(await cargoVersion()).toMatch(/^0\.0\.0-staging-\d+$/);
  });
});

describe('publish steps of deploy', () => {
  let verdaccio: Verdaccio;
  let deployment: TestDeployment;
  beforeAll(async () => {
    verdaccio = await startVerdaccio();
    deployment = new TestDeployment({ staging: { npm: { registry: verdaccio.url, distTag: 'next', tokenVariable: 'NPM_TOKEN' } } });
  });
  afterAll(async () => {
    await verdaccio?.stop();
    await deployment?.cleanup();
  });

  it('deploy of a package publishes it once to the environment registry with its dist-tag', async () => {
    const run = () => deployment.run(['nx', 'run', 'sdk-typescript:deploy:staging', '--output-style=static'], { NPM_TOKEN: 'tok-not-shown-1234' });
    const first = await run();
    expect(first.exitCode, first.all as string).toBe(0);
    expect(first.all).toContain('published @pod-protocol/sdk@0.1.0');
    const view = JSON.parse((await execa('npm', ['view', '@pod-protocol/sdk', '--json', '--registry', verdaccio.url])).stdout);
    expect(view['dist-tags'].next).toBe('0.1.0');
    const second = await run();
    expect(second.exitCode).toBe(0);
    expect(second.all).toContain('@pod-protocol/sdk@0.1.0 is already published');
    expect(second.all).not.toContain('tok-not-shown-1234');
    const records = deployment.ledger('staging').filter((r) => r.project === 'sdk-typescript');
    expect(records.map((r) => r.artifact)).toEqual(['npm:@pod-protocol/sdk@0.1.0', 'npm:@pod-protocol/sdk@0.1.0']);
  });

  it('skips publishing where the environment has no registry', async () => {
    deployment.write({ development: {} });
    const res = await deployment.run(['nx', 'run', 'sdk-typescript:deploy:development', '--output-style=static']);
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toContain('publish-npm skipped: development has no npm registry');
  });
});
