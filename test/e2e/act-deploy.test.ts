import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testToolsDir } from '../../scripts/provision/tools-dir.mjs';
import { Redactor } from '../../tools/deploy-plugin/src/core/redact.ts';
import { openStateConfig } from '../../tools/deploy-plugin/src/store/open.ts';
import type { LedgerRecord, StateStore } from '../../tools/deploy-plugin/src/store/state-store.ts';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { startApprovalsDouble, type ApprovalsDouble } from '../support/github-approvals-double.ts';
import { freePort } from '../support/ports.ts';
import { stopWhatDeploysLeft } from '../support/processes.ts';
import { startVersitygw, type S3Server } from '../support/s3-servers.ts';
import { workspaceRoot } from '../support/workspace.ts';

const TOKEN = 'act-run-token-4c1e';
const STANDINS = join(workspaceRoot, 'test', 'fixtures', 'actions');

// .github/workflows/deploy.yml run by a real GitHub Actions engine (act 0.2.89, this machine as the
// runner), each run in a fresh clone of the test's repository at the pushed commit with a fresh
// `npm ci`; the state store is a bucket of a real S3 server (versitygw). Only the third-party
// actions are STAND-INS (test/fixtures/actions: checkout clones the test's repository, setup-node
// and setup-go put this machine's Node 22 and Go on PATH), and GitHub's review history is a DOUBLE.
describe('deploy.yml run by act: affected-only deploys from the store, production refused without an approver', () => {
  let s3: S3Server;
  let repo: Clone;
  let github: ApprovalsDouble;
  let staging: StateStore;
  let production: StateStore;
  const work = mkdtempSync(join(tmpdir(), 'pod-act-'));
  const cache = join(work, 'act');
  const secrets = join(work, 'secrets.env');
  const runnerState = join(work, 'runner-state');
  /** Where the upload-artifact stand-in copies what the workflow uploads. */
  const artifacts = join(work, 'artifacts');

  beforeAll(async () => {
    [s3, repo] = await Promise.all([startVersitygw(), cloneWorkspace()]);
    // A staging approval exists for the run; production's does not.
    github = await startApprovalsDouble(TOKEN, { '1': [{ state: 'approved', user: { login: 'alice' }, environments: [{ name: 'staging' }] }] });
    const bucket = s3.bucket('deploys');
    const environment = async (name: string, extra: Record<string, unknown> = {}) => ({
      state: s3.state(bucket, {
        prefix: `${name}/`,
        accessKeyIdVariable: `${name.toUpperCase()}_STATE_ACCESS_KEY_ID`,
        secretAccessKeyVariable: `${name.toUpperCase()}_STATE_SECRET_ACCESS_KEY`,
      }),
      runtime: 'process',
      services: {
        'api-server': { url: `http://127.0.0.1:${await freePort()}`, healthPath: '/health' },
        'mcp-server': { url: `http://127.0.0.1:${await freePort()}`, healthPath: '/health' },
      },
      cdn: { frontend: { provider: 'fs', url: `http://127.0.0.1:${await freePort()}` } },
      ...extra,
    });
    const deployFile = {
      // The runner is the staging machine here (a self-hosted runner): the services' releases and
      // the site's files stay in a folder that outlives each job's fresh checkout.
      stateDir: runnerState,
      environments: {
        staging: await environment('staging'),
        production: await environment('production', { approval: { required: true, approverVariable: 'DEPLOY_APPROVER' } }),
      },
    };
    await repo.git('checkout', '-q', '-b', 'develop');
    // What act names the repository by (github.repository); never contacted: the checkout stand-in clones repo.dir.
    await repo.git('remote', 'set-url', 'origin', 'https://github.com/pod-protocol/pod-protocol.git');
    writeFileSync(join(repo.dir, 'deploy.json'), JSON.stringify(deployFile, null, 2));
    await repo.commit('deploy.json of the act test: a state bucket per environment, services as local processes');
    const { S3_ACCESS_KEY: id, S3_SECRET_KEY: secret } = s3.env as Record<string, string>;
    writeFileSync(
      secrets,
      [
        ...['STAGING', 'PRODUCTION'].flatMap((env) => [`${env}_STATE_ACCESS_KEY_ID=${id}`, `${env}_STATE_SECRET_ACCESS_KEY=${secret}`]),
        `GITHUB_TOKEN=${TOKEN}`,
        'POD_SMOKE_TOKEN=act-smoke-token-7d2f',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const open = (env: 'staging' | 'production') =>
      openStateConfig(deployFile.environments[env].state as never, join(work, 'state'), {
        environ: { [`${env.toUpperCase()}_STATE_ACCESS_KEY_ID`]: id, [`${env.toUpperCase()}_STATE_SECRET_ACCESS_KEY`]: secret },
        redactor: new Redactor(),
      });
    [staging, production] = [await open('staging'), await open('production')];
  }, 180_000);
  afterAll(async () => {
    await stopWhatDeploysLeft(runnerState);
    await repo?.remove();
    await github?.stop();
    await s3?.stop();
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  /** One push: act runs deploy.yml for `branch` at the repository's HEAD. */
  const push = async (branch: string) => {
    const event = join(work, `push-${branch}.json`);
    writeFileSync(event, JSON.stringify({ ref: `refs/heads/${branch}`, after: await repo.git('rev-parse', 'HEAD') }));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NX_') && !k.startsWith('VITEST')));
    return execa(
      join(testToolsDir(), 'bin', 'act'),
      [
        'push',
        '--workflows',
        '.github/workflows/deploy.yml',
        '--eventpath',
        event,
        '--platform',
        'ubuntu-24.04=-self-hosted',
        '--secret-file',
        secrets,
        '--actor',
        'ci-bot',
        '--action-cache-path',
        cache,
        '--no-skip-checkout',
        '--local-repository',
        `actions/checkout@v4=${join(STANDINS, 'checkout')}`,
        '--local-repository',
        `actions/setup-node@v4=${join(STANDINS, 'setup-node')}`,
        '--local-repository',
        `actions/setup-go@v5=${join(STANDINS, 'setup-go')}`,
        '--local-repository',
        `actions/upload-artifact@v4=${join(STANDINS, 'upload-artifact')}`,
        '--env',
        `POD_TEST_ARTIFACTS=${artifacts}`,
        '--env',
        `POD_TEST_ORIGIN=${repo.dir}`,
        '--env',
        `POD_TEST_NODE_BIN=${join(workspaceRoot, 'node_modules', 'node', 'bin')}`,
        '--env',
        `GITHUB_API_URL=${github.url}`,
      ],
      { cwd: repo.dir, env, extendEnv: false, reject: false, all: true, timeout: 15 * 60_000 },
    );
  };
  const records = async (): Promise<LedgerRecord[]> => (await staging.ledger.read('staging')).records.filter((r) => r.status !== 'started');
  const servicePid = async (project: string) =>
    JSON.parse((await staging.blobs.get(`services/staging/${project}.process.json`)) ?? '{}').current?.pid as number | undefined;

  it('a push to develop deploys everything to staging', async () => {
    const run = await push('develop');
    expect(run.exitCode, run.all as string).toBe(0);
    expect(run.all).toContain('(stand-in for actions/checkout)');
    const deployed = (await records()).map((r) => [r.project, r.status]);
    expect(deployed).toEqual(
      expect.arrayContaining([
        ['api-server', 'succeeded'],
        ['mcp-server', 'succeeded'],
        ['frontend', 'succeeded'],
      ]),
    );
    expect((await records()).every((r) => r.status === 'succeeded' && r.actor === 'ci-bot')).toBe(true);
    // The status page, uploaded as the run's artifact and linked from the summary: what serves in staging.
    const page = readFileSync(join(artifacts, 'deploy-reports-staging', 'deploy-reports', 'status.html'), 'utf8');
    const api = (await records()).find((r) => r.project === 'api-server')!;
    expect(page).toContain(`<td><strong>api-server</strong></td><td>${api.version}</td><td><code>${api.gitSha.slice(0, 8)}</code></td>`);
    expect(run.all).toMatch(/Success - Main link the deploy reports/);
  });

  it('the next push changes only the frontend and deploys only the frontend, from the base in the store', async () => {
    const before = await records();
    const pids = { api: await servicePid('api-server'), mcp: await servicePid('mcp-server') };
    const base = before.find((r) => r.project === 'frontend')!.gitSha!;
    appendFileSync(join(repo.dir, 'packages', 'frontend', 'src', 'main.ts'), '\n// a frontend change\n');
    await repo.commit('frontend: a change');
    const run = await push('develop');
    expect(run.exitCode, run.all as string).toBe(0);
    expect(run.all).toMatch(new RegExp(`frontend\\s+${base.slice(0, 12)} .*yes: changed since ${base.slice(0, 8)}`));
    const added = (await records()).slice(before.length);
    expect(added.map((r) => [r.project, r.status])).toEqual([['frontend', 'succeeded']]);
    expect(added[0]!.gitSha).toBe(await repo.git('rev-parse', 'HEAD'));
    // The backends were not restarted: the same processes serve.
    expect({ api: await servicePid('api-server'), mcp: await servicePid('mcp-server') }).toEqual(pids);
  });

  it('a push to main without a recorded production approval is refused before anything changes', async () => {
    await repo.git('checkout', '-q', '-B', 'main');
    const run = await push('main');
    expect(run.exitCode).not.toBe(0);
    expect(run.all, JSON.stringify(github.requests)).toContain('no approval of the production environment is recorded for run 1');
    expect(github.requests).toEqual([{ path: '/repos/pod-protocol/pod-protocol/actions/runs/1/approvals', authorized: true }]);
    expect(run.all).not.toMatch(/nx-deploy affected --env/);
    expect((await production.ledger.read('production')).records).toEqual([]);
  });
});
