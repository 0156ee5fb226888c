import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { isRunning, stopPid, waitFor } from '../support/processes.ts';
import { TestDeployment } from '../support/workspace.ts';

// What a failed deploy leaves serving, with the process runtime (each version in a release folder
// of its own, so the previous one can be started again): the ledger says `rolled_back` only when
// the previous version serves again and was checked healthy.
describe('development roll-outs that fail', () => {
  let deployment: TestDeployment;
  let port: number;
  const pids: number[] = [];

  beforeAll(async () => {
    port = await freePort();
    deployment = new TestDeployment({
      development: { services: { 'api-server': { url: `http://127.0.0.1:${port}`, healthPath: '/health' } }, ephemeralSecrets: ['POD_SMOKE_TOKEN'] },
    });
  });
  afterAll(async () => {
    for (const pid of pids) await stopPid(pid);
    await deployment?.cleanup();
  });

  const deploy = (env: Record<string, string> = {}) =>
    deployment.run(['nx', 'run', 'api-server:deploy:development', '--output-style=static', '--excludeTaskDependencies'], env);
  const last = () => deployment.ledger('development').at(-1)!;
  const serving = () =>
    fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.json(),
      () => undefined,
    );
  /** A release whose rate limit is too generous: healthy, but the "429 past the rate limit" smoke check fails. */
  const generousLimit = { POD_RATE_LIMIT_MAX: '100000' };

  it('records a first deploy whose smoke fails as failed: no previous version, nothing serves now', async () => {
    const res = await deploy(generousLimit);
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toContain('not rolled back: no previous version; nothing serves now');
    expect(last()).toMatchObject({
      status: 'failed',
      rollback: { outcome: 'nothing-to-restore', detail: 'no previous version; nothing serves now' },
    });
    expect(await serving()).toBeUndefined();
    expect(deployment.servicePid('development', 'api-server')).toBeUndefined();
  });

  it('rolls a failing deploy after a good one back, naming the version that serves again', async () => {
    const good = await deploy();
    expect(good.exitCode, good.all as string).toBe(0);
    const goodPid = deployment.servicePid('development', 'api-server')!;
    const res = await deploy(generousLimit);
    expect(res.exitCode).not.toBe(0);
    const record = last();
    expect(record).toMatchObject({ status: 'rolled_back', rollback: { outcome: 'restored' } });
    const pid = deployment.servicePid('development', 'api-server')!;
    pids.push(pid);
    expect(record.rollback.serving).toBe(`0.1.0 (${String(record.gitSha).slice(0, 12)}, pid ${pid})`);
    // Behind the proxy the good version was never stopped: the rollback switched back to it.
    expect(pid).toBe(goodPid);
    expect(res.all).toMatch(/serves again \(switched back to the warm previous version in [\d.]+ s\)/);
    expect(await serving()).toMatchObject({ status: 'ok', version: '0.1.0', gitSha: record.gitSha });
    const history = await deployment.run(['nx-deploy', 'history', '--env', 'development']);
    expect(history.stdout).toMatch(/failed \(nothing-to-restore\)[\s\S]*succeeded[\s\S]*rolled_back \(restored\)/);
  });

  it('stops within seconds when a stale server holds the port, names it, and never takes it for the new version', async () => {
    // What serves goes away (say, the machine restarted), and something else takes the port.
    await stopPid(deployment.servicePid('development', 'api-server'));
    const proxy = await deployment.run(['nx-deploy', 'proxy', 'stop', '--env', 'development']);
    expect(proxy.all).toContain('stopped the proxy of api-server');
    const before = deployment.ledger('development').length;
    // The nastiest stale server: it even claims to be this version.
    const script = `require('http').createServer((q, s) => s.end(JSON.stringify({ status: 'ok', version: '0.1.0', gitSha: '${last().gitSha}' }))).listen(${port}, '127.0.0.1')`;
    const stale = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    pids.push(stale.pid!);
    await waitFor('the stale server', () => serving());
    const started = Date.now();
    const res = await deploy();
    expect(res.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(res.all).toContain(`port ${port} is held by pid ${stale.pid} (${process.execPath} -e`);
    expect(res.all).toContain('which is not the api-server this tool runs in development, so nothing was changed');
    expect(res.all).not.toMatch(/api-server {2}smoke +succeeded/);
    expect(isRunning(stale.pid!)).toBe(true);
    expect(deployment.ledger('development').length).toBe(before);
  });
});
