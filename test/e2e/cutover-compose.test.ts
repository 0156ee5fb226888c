import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { startContainerInfra, type ContainerInfra } from '../support/container-fixture.ts';
import { untilOutput } from '../support/output.ts';
import { rehearsalFaults, postFaults } from '../support/api-faults.ts';
import { freePort } from '../support/ports.ts';
import { startPostgres, type Postgres } from '../support/postgres.ts';
import { describeFailures, steadyLoad, switchedAndBack, switchedTo } from '../support/steady-load.ts';
import { writeFileSync } from 'node:fs';

const TOKEN = 'cutover-compose-token-2f8c';
const FAULT_TOKEN = 'cutover-compose-fault-3b7d42aa';

// The cut-over with runtime compose on this machine: each version is a compose project of its own
// (docker-compose through podman's Docker API), its settings putting it on a private port; HAProxy
// listens on the service's URL. Four clients keep requesting it through a redeploy, a deploy whose
// smoke test fails, a deploy rolled back by a verification trigger and a manual rollback.
describe('cut-over without dropping a request (compose runtime behind HAProxy)', () => {
  let infra: ContainerInfra;
  let pg: Postgres;
  let clone: Clone;
  let port: number;

  const config = (staging: Record<string, unknown> = {}) => ({
    stateDir: '.nx-deploy-test',
    environments: {
      staging: {
        runtime: 'compose',
        proxy: { mode: 'required', keepPreviousWarm: 'until-next-deploy' },
        containers: { registry: infra.registry.host, engine: 'docker' },
        database: { urlVariable: 'STAGING_DATABASE_URL' },
        services: { 'api-server': { url: `http://127.0.0.1:${port}`, healthPath: '/health', readyPath: '/ready', metricsPath: '/metrics' } },
        secrets: ['POD_SMOKE_TOKEN', 'POD_FAULT_TOKEN'],
        ...staging,
      },
    },
  });
  const configure = (c: unknown = config()) => writeFileSync(join(clone.dir, 'deploy.test.json'), JSON.stringify(c, null, 2));
  const vars = (extra: Record<string, string> = {}) => ({
    ...infra.vars,
    NX_DEPLOY_FILE: 'deploy.test.json',
    STAGING_DATABASE_URL: pg.url,
    POD_SMOKE_TOKEN: TOKEN,
    POD_FAULT_TOKEN: FAULT_TOKEN,
    POD_APP_ENV: 'staging',
    ...extra,
  });
  const deploy = (extra: Record<string, string> = {}, style = 'static') =>
    clone.run('npx', ['nx', 'run', 'api-server:deploy:staging', `--output-style=${style}`, '--excludeTaskDependencies'], vars(extra));
  const head = () => clone.git('rev-parse', 'HEAD');
  const records = () =>
    readFileSync(join(clone.dir, '.nx-deploy-test', 'ledger', 'staging.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .reduce((m: Map<string, any>, r: any) => m.set(r.id, r), new Map())
      .values()
      .toArray();
  const load = () => steadyLoad(`http://127.0.0.1:${port}/v1/agents`, { clients: 4, headers: { authorization: `Bearer ${TOKEN}` } });
  /** Makes the version answering at `base` slow: 700 ms more per request (its test-only fault switch). */
  const slow = (base: string) => postFaults(base, FAULT_TOKEN, { latencyMs: 700 });

  beforeAll(async () => {
    [infra, pg, clone] = await Promise.all([startContainerInfra('cutover-compose', { podmanService: true }), startPostgres(), cloneWorkspace()]);
    port = await freePort();
    configure();
    await rehearsalFaults(clone);
    const first = await deploy();
    expect(first.exitCode, first.all as string).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await clone?.remove();
    pg?.stop();
    await infra?.stop();
  }, 120_000);

  it('(a) a redeploy under load: no request fails, the answers switch from the old project to the new', async () => {
    const before = await head();
    await clone.commit('release 2');
    const traffic = load();
    const res = await deploy();
    const report = await traffic.stop();
    expect(res.exitCode, res.all as string).toBe(0);
    expect(report.failed, describeFailures(report)).toEqual([]);
    expect([report.switches[0], report.switches.at(-1)]).toEqual([before, await head()]);
    expect(res.all).toMatch(/docker-compose --project-name api-server-staging-\w+ --file .* up --detach/);
  });

  it('(b) a deploy whose smoke test fails never touches traffic', async () => {
    const serving = await head();
    await clone.commit('release 3');
    const traffic = load();
    const res = await deploy({ POD_RATE_LIMIT_MAX: '1000000' });
    const report = await traffic.stop();
    expect(res.exitCode).not.toBe(0);
    expect(report.failed, describeFailures(report)).toEqual([]);
    expect(Object.keys(report.byRevision)).toEqual([serving]);
    expect(records().at(-1)).toMatchObject({ status: 'rolled_back' });
  });

  it('(c) a deploy rolled back by a verification trigger switches back to the warm previous project', async () => {
    const serving = (await clone.git('rev-parse', 'HEAD~1')).trim();
    await clone.commit('release 4');
    configure(config({ verify: { window: '8s', interval: '1s', triggers: [{ metric: 'latencyP95', threshold: 600, for: '2s', minRequests: 2 }] } }));
    // A failed expectation must not leave the deploy running (holding the lock) into the next test.
    let run: ReturnType<typeof deploy> | undefined;
    try {
      const traffic = load();
      run = deploy({ POD_FAULT_INJECTION: 'enabled', POD_APP_ENV: 'test' }, 'stream');
      await untilOutput(run, 'verifying for');
      // Every request goes to the new version now: its answers are made slow (its test-only fault switch).
      expect((await slow(`http://127.0.0.1:${port}`)).status).toBe(200);
      const res = await run;
      const report = await traffic.stop();
      expect(res.exitCode, res.all as string).not.toBe(0);
      expect(report.failed, describeFailures(report)).toEqual([]);
      expect(switchedAndBack(report, serving, await head()), report.switches.join(' → ')).toBe(true);
      expect(records().at(-1).rollback.detail).toContain('switched back to the warm previous version');
    } finally {
      await run;
      configure();
    }
  });

  it('(d) nx-deploy rollback switches to the warm project before: under a second, no request failing', async () => {
    const succeeded = records().filter((r: any) => r.status === 'succeeded' && r.kind === 'deploy');
    const [older, serving] = [succeeded.at(-2).gitSha, succeeded.at(-1).gitSha];
    const traffic = load();
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const res = await clone.bin('nx-deploy', ['rollback', 'api-server', '--env', 'staging'], vars());
    const report = await traffic.stop();
    expect(res.exitCode, res.all as string).toBe(0);
    expect(report.failed, describeFailures(report)).toEqual([]);
    expect(switchedTo(report, serving, older), report.switches.join(' → ')).toBe(true);
    expect(report.seen.find((s) => s.at >= started && s.revision === older)!.at - started).toBeLessThan(1_000);
  });

  it('(e) the fault-injection opt-in in staging is refused: the new version never starts, traffic untouched, the reason in the output', async () => {
    // (d)'s rollback pinned the project: released, so this deploy is not skipped.
    expect((await clone.run('npx', ['nx-deploy', 'unpin', 'api-server', '--env', 'staging'], vars())).exitCode).toBe(0);
    const before = records().filter((r: any) => r.status === 'succeeded').length;
    await clone.commit('release 5: fault injection asked for in staging');
    const traffic = load();
    const res = await deploy({ POD_FAULT_INJECTION: 'enabled' });
    const report = await traffic.stop();
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toContain('FAULT_INJECTION=enabled is allowed only where APP_ENV is development or test');
    expect(report.failed, describeFailures(report)).toEqual([]);
    expect(Object.keys(report.byRevision)).not.toContain(await head());
    expect(records().filter((r: any) => r.status === 'succeeded')).toHaveLength(before);
  });
});
