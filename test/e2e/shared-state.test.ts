import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../tools/deploy-plugin/src/core/redact.ts';
import { openStateConfig } from '../../tools/deploy-plugin/src/store/open.ts';
import type { LedgerRecord, StateStore } from '../../tools/deploy-plugin/src/store/state-store.ts';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { freePort } from '../support/ports.ts';
import { stopPid, waitFor } from '../support/processes.ts';
import { tableRows } from '../support/report-page.ts';
import { startVersitygw, type S3Server } from '../support/s3-servers.ts';

// Two clones of the workspace stand for two CI runners sharing one state store: a bucket of a REAL
// S3 server (versitygw). Both deploy the api-server to staging (a local process on one port).
// Runner A's deploys hang in their roll-out (the new version never answers its health check, for
// 8 s), which keeps the lock held long enough to race for it; runner B's are healthy.
describe('deploy state shared by two runners (s3 store)', () => {
  let s3: S3Server;
  let a: Clone;
  let b: Clone;
  let store: StateStore;
  const pids: number[] = [];

  beforeAll(async () => {
    [s3, a, b] = await Promise.all([startVersitygw(), cloneWorkspace(), cloneWorkspace()]);
    const state = s3.state(s3.bucket('deploys'), { leaseSeconds: 3 });
    const port = await freePort();
    for (const [clone, healthPath] of [
      [a, '/never-healthy'],
      [b, '/health'],
    ] as const) {
      const staging = {
        runtime: 'process',
        services: { 'api-server': { url: `http://127.0.0.1:${port}`, healthPath } },
        ephemeralSecrets: ['POD_SMOKE_TOKEN'],
      };
      writeFileSync(join(clone.dir, 'deploy.test.json'), JSON.stringify({ state, environments: { staging } }, null, 2));
      const pkg = JSON.parse(readFileSync(join(clone.dir, 'packages/api-server/package.json'), 'utf8'));
      pkg.nx.targets.rollout.options.startTimeoutMs = 8_000;
      writeFileSync(join(clone.dir, 'packages/api-server/package.json'), JSON.stringify(pkg, null, 2));
      await clone.commit('the test runners: an 8 s health deadline');
    }
    store = await openStateConfig(state as never, join(a.dir, '.nx-deploy'), { environ: s3.env, redactor: new Redactor() });
  }, 120_000);
  afterAll(async () => {
    for (const pid of pids) await stopPid(pid);
    await a?.remove();
    await b?.remove();
    await s3?.stop();
  });

  const deploy = (clone: Clone, actor: string, extra: string[] = [], options = {}) =>
    clone.run(
      'npx',
      ['nx', 'run', 'api-server:deploy:staging', '--output-style=static', '--excludeTaskDependencies', ...extra],
      { ...s3.env, NX_DEPLOY_FILE: 'deploy.test.json', DEPLOY_ACTOR: actor },
      options,
    );
  const records = async (): Promise<LedgerRecord[]> => (await store.ledger.read('staging')).records;
  const started = () =>
    waitFor('runner A to be mid-run', async () => (await records()).find((r) => r.actor === 'runner-a' && r.status === 'started'), 60_000);
  const servicePid = async () =>
    JSON.parse((await store.blobs.get('services/staging/api-server.process.json')) ?? '{}').current?.pid as number | undefined;

  it('lets one of two runners deploy and refuses the other, naming the holder; both runners see the ledger', async () => {
    const first = deploy(a, 'runner-a');
    await started();
    const second = await deploy(b, 'runner-b');
    expect(second.exitCode).not.toBe(0);
    expect(second.all).toMatch(/staging is locked by runner-a on .* \(deploy api-server; process \d+\)\. Its lease runs until/);
    expect((await first).exitCode).not.toBe(0); // its roll-out never became healthy
    expect((await records()).map((r) => [r.actor, r.status])).toEqual([['runner-a', 'failed']]);
    for (const clone of [a, b]) {
      const history = await clone.run('npx', ['nx-deploy', 'history', '--env', 'staging'], { ...s3.env, NX_DEPLOY_FILE: 'deploy.test.json' });
      expect(history.stdout).toMatch(/api-server\s+deploy\s+0\.1\.0\s+\w+\s+failed \(nothing-to-restore\)\s+runner-a/);
    }
  });

  it('with --lock-wait, the second runner waits for the first and deploys after it', async () => {
    const first = deploy(a, 'runner-a');
    await started();
    const second = await deploy(b, 'runner-b', ['--lock-wait=120s']);
    await first;
    expect(second.exitCode, second.all as string).toBe(0);
    expect(second.all).toMatch(/waiting for the staging lock, held by runner-a on .* \(deploy api-server\)/);
    const [, afterA, afterB] = await records();
    expect([afterA!.actor, afterB!.actor, afterB!.status]).toEqual(['runner-a', 'runner-b', 'succeeded']);
    expect(afterB!.startedAt >= afterA!.finishedAt!).toBe(true);
    expect(afterB!.generation).toBeGreaterThan(afterA!.generation!);
    pids.push((await servicePid())!);
  });

  it('takes over the lease of a deploy killed mid-run, records it aborted, and completes', async () => {
    const hanging = deploy(a, 'runner-a', [], { detached: true });
    hanging.catch(() => undefined);
    const killed = await started();
    process.kill(-hanging.pid!, 'SIGKILL'); // the runner is gone: no release, no heartbeat, no ledger update
    await hanging;
    const next = await deploy(b, 'runner-b', ['--lock-wait=60s']);
    expect(next.exitCode, next.all as string).toBe(0);
    const all = await records();
    expect(all.find((r) => r.id === killed.id)).toMatchObject({ status: 'aborted' });
    expect(all.find((r) => r.id === killed.id)!.reason).toMatch(
      /its lock lease \(runner-a on .*\) expired at .* without being renewed; taken over by runner-b/,
    );
    expect(all.at(-1)).toMatchObject({ actor: 'runner-b', status: 'succeeded' });
    pids.push((await servicePid())!);
  });

  it("makes the status page and any deploy's report from the store alone, on the runner that did not run it", async () => {
    // Runner B with no state folder of its own; production (no deploys yet) in its own prefix.
    rmSync(join(b.dir, '.nx-deploy'), { recursive: true, force: true });
    const file = JSON.parse(readFileSync(join(b.dir, 'deploy.test.json'), 'utf8'));
    file.environments.production = { ...file.environments.staging, state: { ...file.state, prefix: 'production/' } };
    writeFileSync(join(b.dir, 'deploy.pages.json'), JSON.stringify(file, null, 2));
    const env = { ...s3.env, NX_DEPLOY_FILE: 'deploy.pages.json' };
    const status = await b.run('npx', ['nx-deploy', 'status', '--out', 'status.html'], env);
    expect(status.exitCode, status.all as string).toBe(0);
    expect(status.stdout).toMatch(/^wrote .*status\.html \(\d+ kB\)$/m);
    const history = JSON.parse((await b.run('npx', ['nx-deploy', 'history', '--env', 'staging', '--json'], env)).stdout) as LedgerRecord[];
    const good = history.findLast((r) => r.status === 'succeeded')!;
    const rows = await tableRows(join(b.dir, 'status.html'));
    expect(rows['environments']!.map((r) => r.slice(0, 2))).toEqual([
      ['staging', '1'],
      ['production', '0'],
    ]);
    const [project, serving, commit, since, last, , , timeline] = rows['projects in staging']![0]!;
    expect([project, serving, commit]).toEqual(['api-server', good.version, good.gitSha.slice(0, 8)]);
    expect(since).toContain('by runner-b');
    expect(last).toMatch(/^succeeded deploy 0\.1\.0/);
    // The timeline: every deploy in the ledger, oldest first, in words.
    expect(timeline).toBe(
      history.map((r) => `deploy ${r.version} ${r.status.replace('_', ' ')} ${r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`).join(''),
    );
    expect(rows['projects in production']).toEqual([]);
    // Runner A's failed deploy, reported on runner B from the store.
    const failed = history.find((r) => r.status === 'failed')!;
    const report = await b.run('npx', ['nx-deploy', 'report', failed.id, '--out', 'failed.html'], env);
    expect(report.exitCode, report.all as string).toBe(0);
    const html = readFileSync(join(b.dir, 'failed.html'), 'utf8');
    expect(html).toContain(`deploy api-server 0.1.0 to staging: <span class="failed">failed</span>`);
    expect(html).toContain('runner-a');
    const missing = await b.run('npx', ['nx-deploy', 'report', '20990101T000000Z-nothing-000000'], env);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(
      /no deploy 20990101T000000Z-nothing-000000 in the ledger of staging \(s3:\/\/.*\), production \(s3:\/\/.*\); `nx-deploy history/,
    );
  });
});
