import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { untilOutput } from '../support/output.ts';
import { freePort } from '../support/ports.ts';
import { TestDeployment } from '../support/workspace.ts';

// A deploy killed mid-way (SIGKILL: no handler runs) still leaves a ledger that tells what serves:
// each step's changes are recorded before the next step starts. The next deploy reports the dead
// one's progress and records it aborted; an interrupt sent twice (Nx's SIGINT then SIGTERM) records
// the deploy aborted before it exits.
describe('the ledger after a crash', () => {
  let deployment: TestDeployment;
  let api: string;

  beforeAll(async () => {
    api = `http://127.0.0.1:${await freePort()}`;
    deployment = new TestDeployment(config('60s'));
  });
  afterAll(async () => {
    await deployment?.cleanup();
  });

  const config = (window: string) => ({
    development: {
      runtime: 'process',
      proxy: { mode: 'required' },
      services: { 'api-server': { url: api, healthPath: '/health', readyPath: '/ready', metricsPath: '/metrics' } },
      // A deploy is killed inside its verification window, after the cut-over.
      verify: { window, interval: '1s', triggers: [{ metric: 'errorRate', threshold: 0.5, for: '1s' }] },
      ephemeralSecrets: ['POD_SMOKE_TOKEN'],
    },
  });

  const start = (actor: string) =>
    deployment.run(
      ['nx', 'run', 'api-server:deploy:development', '--output-style=stream', '--excludeTaskDependencies'],
      { DEPLOY_ACTOR: actor },
      { detached: true },
    );
  const last = () => deployment.ledger('development').at(-1)!;

  it('SIGKILL after the cut-over: the record says started and serving, history shows it, the new version answers', async () => {
    const run = start('killed-runner');
    run.catch(() => undefined);
    await untilOutput(run, '▶ verify');
    process.kill(-run.pid!, 'SIGKILL');
    await run;
    expect(last()).toMatchObject({ status: 'started', serving: true, actor: 'killed-runner' });
    expect((last().steps as { name: string }[]).map((s) => s.name)).toEqual(expect.arrayContaining(['rollout', 'smoke', 'cutover']));
    const history = await deployment.run(['nx-deploy', 'history', '--env', 'development']);
    expect(history.all).toMatch(/api-server +deploy .* started \(serving\) +killed-runner/);
    const health = await (await fetch(`${api}/health`)).json();
    expect(health.gitSha).toBe(last().gitSha);
  });

  it('the next deploy (after the stale lock is released) reports how far the dead one got and records it aborted', async () => {
    const dead = last();
    const release = await deployment.run(['nx-deploy', 'lock', 'release', '--env', 'development']);
    expect(release.exitCode, release.all as string).toBe(0);
    deployment.write(config('3s'));
    const next = await deployment.run(['nx', 'run', 'api-server:deploy:development', '--output-style=static', '--excludeTaskDependencies'], {
      DEPLOY_ACTOR: 'next-runner',
    });
    expect(next.exitCode, next.all as string).toBe(0);
    expect(next.all).toContain(`deploy api-server ${dead.version} by killed-runner (${dead.id}) ended without a record of how: it had finished`);
    expect(next.all).toMatch(/cutover; 0\.\d+\.\d+\S* \(\w{12}\) serves; .*; recorded as aborted/);
    const records = deployment.ledger('development');
    expect(records.find((r) => r.id === dead.id)).toMatchObject({ status: 'aborted', reason: expect.stringContaining('ended without finishing') });
  }, 180_000);

  it('an interrupt sent twice (SIGINT, then SIGTERM as Nx does) records the deploy aborted before it exits', async () => {
    deployment.write(config('60s'));
    const run = start('twice-interrupted');
    run.catch(() => undefined);
    await untilOutput(run, '▶ verify');
    process.kill(-run.pid!, 'SIGINT');
    process.kill(-run.pid!, 'SIGTERM');
    await run;
    const record = deployment.ledger('development').findLast((r) => r.actor === 'twice-interrupted');
    // Whichever signal the deploy's process got first is the reason (the group gets both).
    expect(record).toMatchObject({ status: 'aborted', reason: expect.stringMatching(/^interrupted by SIG(INT|TERM)$/) });
  }, 180_000);
});
