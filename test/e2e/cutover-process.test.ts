import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { untilOutput } from '../support/output.ts';
import { freePort } from '../support/ports.ts';
import { stopPid } from '../support/processes.ts';
import { describeFailures, steadyLoad, switchedAndBack, switchedTo } from '../support/steady-load.ts';

const TOKEN = 'cutover-smoke-token-4e1b';
const FAULT_TOKEN = 'cutover-fault-token-0a9d3c71';

// The cut-over through a real proxy (HAProxy, Debian's, driven through its runtime API), runtime
// process, from a clone whose every commit is a version the clients can tell apart (x-app-revision).
// Four clients keep requesting the service's URL during a redeploy, a deploy whose smoke test fails,
// a deploy rolled back by a verification trigger and a manual rollback: none of their requests
// fails. Then canary steps, a rollback pin, a proxy killed between deploys and the run's summary in CI.
describe('cut-over without dropping a request (process runtime behind HAProxy)', () => {
  let clone: Clone;
  let port: number;
  const url = () => `http://127.0.0.1:${port}`;
  const stateFile = () => join(clone.dir, '.nx-deploy-test', 'services', 'development', 'api-server.process.json');
  const ledger = () =>
    readFileSync(join(clone.dir, '.nx-deploy-test', 'ledger', 'development.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .reduce((m: Map<string, any>, r: any) => m.set(r.id, r), new Map())
      .values()
      .toArray();
  const last = () => ledger().at(-1)!;
  const service = (extra: Record<string, unknown> = {}) => ({
    stateDir: '.nx-deploy-test',
    environments: {
      development: {
        runtime: 'process',
        proxy: { mode: 'required', keepPreviousWarm: 'until-next-deploy' },
        services: { 'api-server': { url: url(), healthPath: '/health', readyPath: '/ready', metricsPath: '/metrics', ...extra } },
        ephemeralSecrets: ['POD_SMOKE_TOKEN'],
        secrets: ['POD_FAULT_TOKEN'],
      },
    },
  });
  const configure = (c: unknown) => writeFileSync(join(clone.dir, 'deploy.test.json'), JSON.stringify(c, null, 2));
  const vars = (extra: Record<string, string> = {}) => ({
    NX_DEPLOY_FILE: 'deploy.test.json',
    POD_SMOKE_TOKEN: TOKEN,
    POD_FAULT_INJECTION: 'enabled',
    POD_FAULT_TOKEN: FAULT_TOKEN,
    ...extra,
  });
  const deploy = (extra: Record<string, string> = {}, style = 'static') =>
    clone.run('npx', ['nx', 'run', 'api-server:deploy:development', `--output-style=${style}`, '--excludeTaskDependencies'], vars(extra));
  const nxDeploy = (...args: string[]) => clone.run('npx', ['nx-deploy', ...args], vars());
  const head = () => clone.git('rev-parse', 'HEAD');
  const load = () => steadyLoad(`${url()}/v1/agents`, { clients: 4, headers: { authorization: `Bearer ${TOKEN}` } });
  /** The private port of the version the last roll-out started (the proxy's new slot). */
  const newestPort = () => JSON.parse(readFileSync(stateFile(), 'utf8')).current.port as number;
  const fault = (p: number, f: Record<string, unknown>) =>
    fetch(`http://127.0.0.1:${p}/_faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${FAULT_TOKEN}` },
      body: JSON.stringify(f),
    });

  beforeAll(async () => {
    clone = await cloneWorkspace();
    port = await freePort();
    // The smoke test of a release can be made to fail: its database reported down from the start.
    const pkgFile = join(clone.dir, 'packages/api-server/package.json');
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    pkg.nx.targets.rollout.configurations.development.env.FAULT_DB_DOWN = '${POD_FAULT_DB_DOWN:-}'; // faults: development only
    pkg.nx.targets.smoke.configurations.development.deadlineMs = 3000;
    writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
    configure(service());
    await clone.commit('the test: a release whose database reports down; a short smoke deadline');
    const first = await deploy();
    expect(first.exitCode, first.all as string).toBe(0);
  }, 300_000);
  afterAll(async () => {
    // Everything the deploys left: both versions' supervisors and the proxy.
    if (clone && existsSync(stateFile())) {
      const s = JSON.parse(readFileSync(stateFile(), 'utf8'));
      for (const v of [s.current, s.previous, s.earlier]) if (v?.pid) await stopPid(v.pid);
      await nxDeploy('proxy', 'stop', '--env', 'development');
    }
    await clone?.remove();
  }, 60_000);

  it('(a) a redeploy under load: no request fails, and the answers switch from the old version to the new', async () => {
    const before = await head();
    await clone.commit('release 2');
    const traffic = load();
    const res = await deploy();
    const report = await traffic.stop();
    expect(res.exitCode, res.all as string).toBe(0);
    expect(report.failed, describeFailures(report)).toEqual([]);
    expect(report.switches[0]).toBe(before);
    expect(report.switches.at(-1)).toBe(await head());
    expect(res.all).toMatch(/is healthy on 127\.0\.0\.1:\d+ \(slot [ab]\); no request reaches it yet/);
    expect(res.all).toContain('checking the new version directly, before the proxy sends it any request');
    expect(res.all).toContain('every request goes to the new version now');
  });

  it('(b) a deploy whose smoke test fails never touches traffic: no request fails, every answer is the old version', async () => {
    const serving = await head();
    await clone.commit('release 3: its database reports down');
    const traffic = load();
    const res = await deploy({ POD_FAULT_DB_DOWN: 'true' });
    const report = await traffic.stop();
    expect(res.exitCode).not.toBe(0);
    expect(report.failed, describeFailures(report)).toEqual([]);
    expect(Object.keys(report.byRevision)).toEqual([serving]);
    expect(last()).toMatchObject({ status: 'rolled_back', rollback: { outcome: 'restored' } });
    expect(res.all).not.toContain('▶ cutover');
  });

  it('(c) a deploy rolled back by a verification trigger switches back to the warm previous version: no request fails', async () => {
    const serving = (await clone.git('rev-parse', 'HEAD~1')).trim();
    await clone.commit('release 4: slow once it serves');
    const c = service();
    // 0.5 and 0.8 s are bounds of the api-server's duration histogram: 700 ms answers read as a p95 of ~785 ms.
    Object.assign(c.environments.development, {
      verify: { window: '12s', interval: '1s', triggers: [{ metric: 'latencyP95', threshold: 600, for: '2s', minRequests: 2 }] },
    });
    configure(c);
    // A failed expectation must not leave the deploy running (holding the lock) into the next test.
    let run: ReturnType<typeof deploy> | undefined;
    try {
      const traffic = load();
      run = deploy({}, 'stream');
      await untilOutput(run, 'verifying for');
      expect((await fault(newestPort(), { latencyMs: 700 })).status).toBe(200);
      const res = await run;
      const report = await traffic.stop();
      expect(res.exitCode, res.all as string).not.toBe(0);
      expect(report.failed, describeFailures(report)).toEqual([]);
      expect(switchedAndBack(report, serving, await head()), report.switches.join(' → ')).toBe(true);
      expect(last()).toMatchObject({ status: 'rolled_back', reason: expect.stringContaining('latencyP95 > 600 ms for 2s') });
      expect(last().rollback.detail).toContain('switched back to the warm previous version');
    } finally {
      await run;
      configure(service());
    }
  });

  it('(d) a manual rollback is a switch to the warm version before: under a second from the command to its first answer, no request fails', async () => {
    const before = ledger().filter((r: any) => r.status === 'succeeded' && r.kind === 'deploy');
    const [older, serving] = [before.at(-2).gitSha, before.at(-1).gitSha];
    const traffic = load();
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const res = await clone.bin('nx-deploy', ['rollback', 'api-server', '--env', 'development'], vars());
    const report = await traffic.stop();
    expect(res.exitCode, res.all as string).toBe(0);
    expect(report.failed, describeFailures(report)).toEqual([]);
    expect(switchedTo(report, serving, older), report.switches.join(' → ')).toBe(true);
    const firstOlder = report.seen.find((s) => s.at >= started && s.revision === older)!;
    expect(firstOlder.at - started).toBeLessThan(1_000);
    expect(res.all).toContain('switched back to the warm previous version');
    // The rollback pins the project: the next merge does not undo it.
    expect(res.all).toContain('api-server is now pinned in development');
  });

  it('a pinned project is skipped by deploys and listed by affected until unpinned', async () => {
    await clone.commit('a change after the rollback');
    const skipped = await deploy();
    expect(skipped.exitCode, skipped.all as string).toBe(0);
    expect(skipped.all).toMatch(/api-server is pinned in development: .* rolled it back at .*: skipped/);
    const affected = await nxDeploy('affected', '--env', 'development', '--dry-run');
    expect(affected.stdout).toMatch(/api-server\s+.*\s+no: pinned: .* \(nx-deploy unpin api-server --env development\)/);
    const unpinned = await nxDeploy('unpin', 'api-server', '--env', 'development');
    expect(unpinned.stdout).toContain('api-server is no longer pinned in development');
    const deployed = await deploy();
    expect(deployed.exitCode, deployed.all as string).toBe(0);
    expect(last()).toMatchObject({ status: 'succeeded', gitSha: await head() });
  });

  it('a proxy killed between deploys is started again with its routes by the next deploy, which says so', async () => {
    const pidFile = join(clone.dir, '.nx-deploy-test', 'proxy', 'development', 'api-server', 'haproxy.pid');
    await stopPid(Number(readFileSync(pidFile, 'utf8').trim()));
    await expect(fetch(`${url()}/health`)).rejects.toThrow();
    await clone.commit('release after the proxy died');
    const res = await deploy();
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(
      /proxy of api-server was not running: started again on 127\.0\.0\.1:\d+ with its routes \(a → 127\.0\.0\.1:\d+ weight \d+/,
    );
    expect((await fetch(`${url()}/health`)).headers.get('x-app-revision')).toBe(await head());
  });

  it('in CI (Nx hides successful tasks), the run ends with its summary, also written to the step summary', async () => {
    await clone.commit('a release deployed from CI');
    const summary = join(clone.dir, 'step-summary.md');
    const res = await clone.run('npx', ['nx', 'run-many', '-t', 'deploy', '-c', 'development', '-p', 'api-server', '--excludeTaskDependencies'], {
      ...vars(),
      CI: 'true',
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toContain('Output of 1 successful task was not shown'); // what Nx does in CI
    expect(res.all).toMatch(/nx-deploy: this run\n {2}project +env +step +result +time +url \/ what it did/);
    expect(res.all).toMatch(/api-server +development +cutover +succeeded +[\d.]+ s +switched: every request to the new version/);
    expect(res.all).toContain(`api-server deploy to development (${(await head()).slice(0, 8)}): succeeded; 0.1.0 serves at ${url()}`);
    expect(readFileSync(summary, 'utf8')).toMatch(/\| api-server \| development \| succeeded \| 0\.1\.0 \| cutover \| succeeded \|/);
  });

  describe('canary steps', () => {
    const canary = () => {
      const c = service({
        strategy: {
          canary: {
            steps: [
              { weight: 10, pause: '6s' },
              { weight: 50, pause: '3s' },
            ],
          },
        },
      });
      Object.assign(c.environments.development, {
        verify: { window: '3s', interval: '1s', triggers: [{ metric: 'errorRate', threshold: 0.2, for: '2s', minRequests: 5 }] },
      });
      return c;
    };
    afterAll(() => configure(service()));

    it('a healthy version goes through every step to all the requests', async () => {
      configure(canary());
      await clone.commit('a healthy release, in canary steps');
      const traffic = load();
      const res = await deploy();
      const report = await traffic.stop();
      expect(res.exitCode, res.all as string).toBe(0);
      expect(report.failed, describeFailures(report)).toEqual([]);
      expect(last()).toMatchObject({
        status: 'succeeded',
        canary: [
          { weight: 10, pause: '6s', verdict: 'passed' },
          { weight: 50, pause: '3s', verdict: 'passed' },
        ],
      });
      expect(report.switches.at(-1)).toBe(await head());
    });

    it('a version failing half its requests is stopped at 10%: about a tenth of the requests reached it, none the old version answered failed', async () => {
      configure(canary());
      const serving = await head();
      await clone.commit('a release that fails half its requests');
      const traffic = load();
      const run = deploy({}, 'stream');
      await untilOutput(run, 'canary step 1 of 2');
      const faultAt = Date.now();
      expect((await fault(newestPort(), { errorRate: 0.5 })).status).toBe(200);
      await untilOutput(run, 'canary step 1 breached');
      const breachAt = Date.now();
      const res = await run;
      const report = await traffic.stop();
      expect(res.exitCode).not.toBe(0);
      const during = report.seen.filter((s) => s.at >= faultAt && s.at <= breachAt && s.revision);
      const share = during.filter((s) => s.revision !== serving).length / during.length;
      expect(share).toBeGreaterThanOrEqual(0.05);
      expect(share).toBeLessThanOrEqual(0.15);
      expect(report.failed.filter((f) => f.revision === serving || !f.revision)).toEqual([]);
      expect(last()).toMatchObject({
        status: 'rolled_back',
        canary: [{ weight: 10, verdict: 'breached', detail: 'errorRate > 0.2 for 2s' }],
        reason: expect.stringContaining('canary step 1 (10%) failed'),
      });
      // Its report: the canary's weight over time (10%, then back to 0 at the switch) and the step's own samples.
      const page = readFileSync(String(res.all).match(/report: (\S+\.html)/)![1]!, 'utf8');
      expect(page).toMatch(/canary weights 10% at 0\.0 s, 0% at [\d.]+ s; breached: every request went back to the previous version\./);
      expect(page).toContain('<h2>Canary step 1 (10%): every');
      expect(page).toMatch(/<td>errorRate &#62; 0\.2 for 2s<\/td><td>rollback<\/td><td>2\.0 s<\/td><td><span class="failed">fired at/);
      expect((await fetch(`${url()}/health`)).headers.get('x-app-revision')).toBe(serving);
    });
  });
});
