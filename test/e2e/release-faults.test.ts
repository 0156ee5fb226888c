import { rmSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { startFaultProxy, type FaultProxy, type FaultProxyOptions } from '../support/fault-proxy.ts';
import { startVerdaccio, type PublishRules, type Verdaccio } from '../support/verdaccio.ts';

// Releases under registry faults, npm packages only (the crate is removed from these clones:
// its path is covered by release.test.ts and cargo's build would only add minutes here).
describe('release under registry faults', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(rules: PublishRules = {}, faults?: Omit<FaultProxyOptions, 'target'>) {
    const clone = await cloneWorkspace();
    cleanups.push(() => clone.remove());
    const verdaccio = await startVerdaccio(rules);
    cleanups.push(() => verdaccio.stop());
    let proxy: FaultProxy | undefined;
    if (faults) {
      proxy = await startFaultProxy({ target: verdaccio.url, ...faults });
      cleanups.push(() => proxy!.stop());
    }
    rmSync(join(clone.dir, 'packages', 'sdk-rust'), { recursive: true, force: true });
    const file = JSON.parse(readFileSync(join(clone.dir, 'deploy.json'), 'utf8'));
    delete file.environments.staging.state; // the repository's shared S3 store: here, the clone's own folder
    file.release = { environment: 'staging', concurrency: 4 };
    file.environments.staging.npm = { registry: proxy?.url ?? verdaccio.url, distTag: 'next' };
    writeFileSync(join(clone.dir, 'deploy.json'), JSON.stringify(file, null, 2));
    await clone.commit('release setup');
    return { clone, verdaccio, proxy };
  }

  const versions = async (v: Verdaccio, name: string) => {
    const res = await execa('npm', ['view', name, 'versions', '--json', '--registry', v.url], { reject: false });
    return res.exitCode === 0 ? [JSON.parse(res.stdout)].flat() : [];
  };
  const tags = async (clone: Clone) => (await clone.git('tag', '--list')).split('\n').filter(Boolean).sort();
  const release = (clone: Clone) => clone.run('npx', ['nx-deploy', 'release']);

  it('publishes every package exactly once through a proxy failing 30% of requests with 503', async () => {
    const { clone, verdaccio, proxy } = await setup({}, { failureRate: 0.3, seed: 20261126 });
    const res = await release(clone);
    expect(res.exitCode, res.all as string).toBe(0);
    expect(proxy!.stats.failed).toBeGreaterThan(0);
    for (const name of ['@pod-protocol/sdk', '@pod-protocol/cli', '@pod-protocol/nx-deploy'])
      expect(await versions(verdaccio, name)).toEqual(['0.1.0']);
    expect(await tags(clone)).toEqual(['@pod-protocol/cli@0.1.0', '@pod-protocol/nx-deploy@0.1.0', '@pod-protocol/sdk@0.1.0']);
    console.log(`fault proxy: ${proxy!.stats.failed} of ${proxy!.stats.failed + proxy!.stats.forwarded} requests answered 503`);
  });

  it('recognises a publish whose reply was lost (stored, then the connection reset) and publishes and tags each package once', async () => {
    const { clone, verdaccio, proxy } = await setup({}, { failureRate: 0, seed: 1, dropReplyTo: (req) => req.method === 'PUT' });
    const res = await release(clone);
    expect(res.exitCode, res.all as string).toBe(0);
    expect(proxy!.stats.dropped).toBeGreaterThanOrEqual(3);
    for (const name of ['@pod-protocol/sdk', '@pod-protocol/cli', '@pod-protocol/nx-deploy'])
      expect(await versions(verdaccio, name)).toEqual(['0.1.0']);
    expect(await tags(clone)).toEqual(['@pod-protocol/cli@0.1.0', '@pod-protocol/nx-deploy@0.1.0', '@pod-protocol/sdk@0.1.0']);
    const ledger = readFileSync(join(clone.dir, '.nx-deploy', 'ledger', 'staging.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const published = ledger
      .filter((r) => r.kind === 'publish' && r.status === 'succeeded')
      .map((r) => r.artifact)
      .sort();
    expect(published).toEqual(['npm:@pod-protocol/cli@0.1.0', 'npm:@pod-protocol/nx-deploy@0.1.0', 'npm:@pod-protocol/sdk@0.1.0']);
  });

  it('skips the dependents of a package that fails for good, publishes the rest, and a re-run completes the set', async () => {
    const { clone, verdaccio } = await setup({ '@pod-protocol/sdk': 'nobody-may-publish' });
    const first = await release(clone);
    expect(first.exitCode).not.toBe(0);
    expect(first.all).toMatch(/@pod-protocol\/cli\s+npm\s+0\.1\.0\s+skipped .*needs @pod-protocol\/sdk, which was not published/);
    expect(first.all).toMatch(/@pod-protocol\/sdk\s+npm\s+0\.1\.0\s+failed/);
    expect(await versions(verdaccio, '@pod-protocol/sdk')).toEqual([]);
    expect(await versions(verdaccio, '@pod-protocol/cli')).toEqual([]);
    expect(await versions(verdaccio, '@pod-protocol/nx-deploy')).toEqual(['0.1.0']);
    expect(await tags(clone)).toEqual(['@pod-protocol/nx-deploy@0.1.0']);

    await verdaccio.restart({}); // the fault is removed
    const second = await release(clone);
    expect(second.exitCode, second.all as string).toBe(0);
    expect(second.all).toMatch(/@pod-protocol\/nx-deploy\s+npm\s+0\.1\.0\s+already published/);
    for (const name of ['@pod-protocol/sdk', '@pod-protocol/cli']) expect(await versions(verdaccio, name)).toEqual(['0.1.0']);
    expect(await tags(clone)).toEqual(['@pod-protocol/cli@0.1.0', '@pod-protocol/nx-deploy@0.1.0', '@pod-protocol/sdk@0.1.0']);
  });
});
