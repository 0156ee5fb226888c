import { lstatSync, readFileSync, readdirSync, statSync, writeFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetNames, buildChangedFrontend, launchChromium } from '../support/frontend-builds.ts';
import { freePort } from '../support/ports.ts';
import { stopPid } from '../support/processes.ts';
import { TestDeployment, workspaceRoot } from '../support/workspace.ts';

const TOKEN = 'cdn-fs-smoke-token-4b1e';

// The frontend on a folder site served on loopback, end to end: the real api-server deployed
// first, the page rendered by Chromium calling it across origins; an unchanged redeploy uploads
// nothing; a tab opened on the old release still loads its lazy chunk after a new one switches
// in; a rollback switches back in milliseconds; a prune after the grace period removes the old
// release's own files (a real 404 then, never index.html); bad builds are refused with the
// serving release untouched.
describe('deploy-cdn to a folder (fs provider)', () => {
  let deployment: TestDeployment;
  let browser: Browser;
  let site: string;
  let siteDir: string;
  let buildB: string;
  const buildA = join(workspaceRoot, 'packages', 'frontend', 'dist');
  const pids: number[] = [];
  const vars = { POD_SMOKE_TOKEN: TOKEN };

  beforeAll(async () => {
    const [api, mcp, web] = [await freePort(), await freePort(), await freePort()];
    site = `http://127.0.0.1:${web}`;
    deployment = new TestDeployment({
      development: {
        runtime: 'process',
        services: {
          'api-server': { url: `http://127.0.0.1:${api}`, healthPath: '/health' },
          'mcp-server': { url: `http://127.0.0.1:${mcp}`, healthPath: '/health' },
        },
        cdn: { frontend: { provider: 'fs', url: site, keepReleases: 1, grace: '3s' } },
        ephemeralSecrets: ['POD_SMOKE_TOKEN'],
      },
    });
    siteDir = join(deployment.stateDir, 'sites', 'development', 'frontend');
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    for (const project of ['api-server', 'mcp-server']) {
      const pid = deployment?.servicePid('development', project);
      if (pid) pids.push(pid);
    }
    for (const pid of pids) await stopPid(pid);
    await deployment?.cleanup();
    if (buildB) rmSync(buildB, { recursive: true, force: true });
  });

  const index = () => JSON.parse(readFileSync(join(deployment.stateDir, 'cdn', 'development', 'frontend', 'index.json'), 'utf8'));
  const manifest = (id: string) =>
    JSON.parse(readFileSync(join(deployment.stateDir, 'cdn', 'development', 'frontend', 'releases', `${id}.json`), 'utf8'));
  const deployCdn = (...args: string[]) =>
    deployment.run(['nx', 'run', 'frontend:deploy-cdn:development', '--excludeTaskDependencies', '--output-style=static', ...args], vars);
  /**
   * Opens the agents panel of a page, which loads its lazy chunk: which chunk file it fetched and
   * with what answer, and what the panel then shows (the API's answer, or the reload notice when
   * the chunk could not be loaded).
   */
  const openAgents = async (page: import('playwright-core').Page) => {
    const chunk = page.waitForResponse((r) => r.url().includes('/assets/agents-panel-'), { timeout: 15_000 });
    await page.fill('#token', TOKEN);
    await page.click('#token-form button');
    const answer = await chunk;
    await page.waitForSelector('#agents :is(p.muted, p.error, table):not(:has-text("Loading"))', { timeout: 15_000 });
    return { chunk: answer.url().split('/').at(-1), status: answer.status(), text: await page.textContent('#agents') };
  };
  const chunkOf = (build: string) => assetNames(build).find((a) => a.startsWith('agents-panel-'));

  it('deploys the api-server, then the frontend as a release served with the right headers, entry point switched last', async () => {
    const res = await deployment.run(['nx', 'run-many', '-t', 'deploy', '-c', 'development', '--output-style=static'], vars);
    expect(res.exitCode, res.all as string).toBe(0);
    const out = res.all as string;
    expect(out).toMatch(/release [0-9a-f]{12}: 5 files, 5 uploaded \([\d.]+ kB\), 0 already stored/);
    expect(out).toContain('page rendered in Chromium (#health dl.facts)');
    expect(out).toMatch(new RegExp(`frontend {2}deploy-cdn +succeeded .* ${site}`));

    const { current } = index();
    const files = manifest(current).files as { path: string; immutable: boolean; type: string; sha256: string }[];
    expect(files.map((f) => f.path).sort()).toEqual(['config.json', 'index.html', ...assetNames(buildA).map((a) => `assets/${a}`)].sort());
    for (const f of files) {
      const r = await fetch(`${site}/${f.path}`);
      expect([f.path, r.status, r.headers.get('content-type'), r.headers.get('cache-control')]).toEqual([
        f.path,
        200,
        f.type,
        f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      ]);
    }
    expect(files.find((f) => f.path === 'index.html')!.type).toBe('text/html; charset=utf-8');
    expect(files.find((f) => f.path.endsWith('.js'))!.type).toBe('text/javascript; charset=utf-8');
    expect(await (await fetch(`${site}/config.json`)).json()).toMatchObject({ environment: 'development' });

    // A missing asset is a 404, never index.html; a page route (no extension, HTML wanted) is the app.
    const missing = await fetch(`${site}/assets/index-nothere.js`);
    expect([missing.status, missing.headers.get('content-type')]).toEqual([404, 'text/plain; charset=utf-8']);
    const route = await fetch(`${site}/agents/42`, { headers: { accept: 'text/html' } });
    expect([route.status, (await route.text()).includes('<h1>POD Protocol</h1>')]).toEqual([200, true]);

    // The switch (the `current` link, renamed into place) happened after every file was stored.
    const switchedAt = lstatSync(join(siteDir, 'current')).mtimeMs;
    const stored = readdirSync(join(siteDir, 'objects'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(stored).toHaveLength(5);
    for (const e of stored) expect(statSync(join(e.parentPath, e.name)).ctimeMs).toBeLessThanOrEqual(switchedAt);
  });

  it('redeploys an unchanged build uploading nothing', async () => {
    const res = await deployment.run(['nx', 'run', 'frontend:deploy:development', '--excludeTaskDependencies', '--output-style=static'], vars);
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/5 files, 0 uploaded \(0 B\), 5 already stored; 0 entry points switched/);
  });

  it('keeps a tab opened on the old release working after a new release switches in, and rolls back in well under a second', async () => {
    const releaseA = index().current;
    const oldTab = await browser.newPage();
    await oldTab.goto(site);
    await oldTab.waitForSelector('#health dl.facts');

    buildB = await buildChangedFrontend('Nothing here yet.');
    const deployB = await deployCdn(`--outputPath=${buildB}`);
    expect(deployB.exitCode, deployB.all as string).toBe(0);
    expect(deployB.all).toMatch(/5 files, 3 uploaded .*, 2 already stored; 1 entry points switched/);
    const releaseB = index().current;
    expect(releaseB).not.toBe(releaseA);

    // The old tab loads ITS lazy chunk now, kept from release A, and the panel renders.
    const old = await openAgents(oldTab);
    expect([old.chunk, old.status]).toEqual([chunkOf(buildA), 200]);
    expect(old.text).not.toContain('console has been updated');
    const newTab = await browser.newPage();
    await newTab.goto(site);
    expect(await openAgents(newTab)).toMatchObject({ chunk: chunkOf(buildB), status: 200 });

    const rollback = await deployment.run(['npx', 'nx-deploy', 'rollback', 'frontend', '--env', 'development'].slice(1), vars);
    expect(rollback.exitCode, rollback.all as string).toBe(0);
    expect(rollback.all).toMatch(
      new RegExp(`release ${releaseA} \\(0\\.1\\.0, [0-9a-f]{8}\\) serves again: 1 entry points switched in \\d+ ms, nothing uploaded`),
    );
    const seconds = Number(/rolled back to release [0-9a-f]{12} in ([\d.]+) s/.exec(rollback.all as string)![1]);
    // The rollback pins the frontend, so that the next deploy does not undo it; the test lets deploys in again.
    expect(rollback.all).toContain('frontend is now pinned in development');
    const unpin = await deployment.run(['nx-deploy', 'unpin', 'frontend', '--env', 'development']);
    expect(unpin.exitCode, unpin.all as string).toBe(0);
    expect(seconds).toBeLessThan(1);
    const back = await browser.newPage();
    await back.goto(site);
    expect(await openAgents(back)).toMatchObject({ chunk: chunkOf(buildA), status: 200 });
    expect(
      deployment
        .ledger('development')
        .filter((r) => r.project === 'frontend')
        .at(-1),
    ).toMatchObject({
      kind: 'rollback',
      status: 'succeeded',
      artifact: releaseA,
    });
  });

  it('prunes the old release after the grace period: its own chunk is a 404 and it can no longer be rolled back to', async () => {
    const releaseA = index().current;
    const redeployB = await deployCdn(`--outputPath=${buildB}`);
    expect(redeployB.exitCode, redeployB.all as string).toBe(0);
    expect(redeployB.all).toMatch(/0 uploaded/); // B's files were all still stored
    const oldChunk = chunkOf(buildA)!;
    expect((await fetch(`${site}/assets/${oldChunk}`)).status).toBe(200); // within the grace period
    await new Promise((r) => setTimeout(r, 3_500));
    const prune = await deployment.run(['nx-deploy', 'cdn', 'prune', '--env', 'development'], vars);
    expect(prune.exitCode, prune.all as string).toBe(0);
    expect(prune.all).toMatch(new RegExp(`pruned releases ${releaseA}: 3 objects deleted`));
    const gone = await fetch(`${site}/assets/${oldChunk}`);
    expect([gone.status, (await gone.text()).includes('<html')]).toEqual([404, false]);
    // Through the inferred target this time: the same rollback as nx-deploy's.
    const refused = await deployment.run(['nx', 'run', 'frontend:rollback:development', `--to=${releaseA}`, '--output-style=static'], vars);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.all).toMatch(new RegExp(`release ${releaseA} cannot serve again: \\d+ of its files are gone`));
    expect((await fetch(`${site}/assets/${chunkOf(buildB)}`)).status).toBe(200);
  });

  it('refuses a missing build, a build over budget and leaves out a link to outside the build, the serving release untouched', async () => {
    const serving = index().current;
    const before = await (await fetch(site)).text();
    const missing = await deployCdn('--outputPath=/nonexistent/dist');
    expect(missing.exitCode).not.toBe(0);
    expect(missing.all).toContain('the build output /nonexistent/dist does not exist; run its build (nx build frontend) and deploy again');

    const over = await deployCdn(`--outputPath=${buildB}`, '--budget.maxFileSize=5kB', '--budget.maxFiles=4');
    expect(over.exitCode).not.toBe(0);
    expect(over.all).toMatch(
      /the build is over its budget .*nothing was uploaded; the current release keeps serving:\n.*5 files, over the limit of 4\n.*assets\/index-[\w-]+\.js is [\d.]+ kB, over the per-file limit of 5\.0 kB/,
    );

    const linked = mkdtempSync(join(tmpdir(), 'pod-linked-build-'));
    cpSync(buildB, linked, { recursive: true });
    writeFileSync(join(tmpdir(), 'pod-outside-secret.txt'), 'not for the web');
    symlinkSync(join(tmpdir(), 'pod-outside-secret.txt'), join(linked, 'secret.txt'));
    try {
      const res = await deployCdn(`--outputPath=${linked}`);
      expect(res.exitCode, res.all as string).toBe(0);
      expect(res.all).toContain('not published: secret.txt, a symbolic link out of the build output');
      expect((await fetch(`${site}/secret.txt`)).status).toBe(404);
    } finally {
      rmSync(linked, { recursive: true, force: true });
    }
    expect(index().current).toBe(serving);
    expect(await (await fetch(site)).text()).toBe(before);
  });

  it('switches back to the release that served before when the smoke test of a deploy fails (here: the API is down)', async () => {
    const serving = index().current;
    const html = await (await fetch(site)).text();
    await stopPid(deployment.servicePid('development', 'api-server'));
    // The workspace's own build differs from what serves (build B): a new release, whose page cannot reach the API.
    const res = await deployment.run(['nx', 'run', 'frontend:deploy:development', '--excludeTaskDependencies', '--output-style=static'], vars);
    expect(res.exitCode, res.all as string).not.toBe(0);
    expect(res.all).toMatch(/the page at http:\/\/127\.0\.0\.1:\d+ failed in Chromium: .*#health dl\.facts never appeared/);
    expect(res.all).toMatch(new RegExp(`rolled back: release ${serving} \\(0\\.1\\.0\\) serves again \\(entry points switched back in \\d+ ms\\)`));
    expect(
      deployment
        .ledger('development')
        .filter((r) => r.project === 'frontend')
        .at(-1),
    ).toMatchObject({
      kind: 'deploy',
      status: 'rolled_back',
      rollback: { outcome: 'restored', serving: `release ${serving} (0.1.0)` },
    });
    expect(index().current).toBe(serving);
    expect(await (await fetch(site)).text()).toBe(html);
  });
});
