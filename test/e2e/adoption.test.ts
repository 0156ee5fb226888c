import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nxFixture, packPlugin, type NxFixture } from '../support/nx-fixture.ts';
import { startVerdaccio, type Verdaccio } from '../support/verdaccio.ts';

// A new user's path in a workspace made as create-nx-workspace 23.2.1 makes it (apps/api: Fastify
// built by @nx/esbuild into dist/apps/api; apps/web: Vite, its build inferred by @nx/vite/plugin;
// libs/sdk: publishable, built by @nx/js:tsc into dist/libs/sdk; packages/jobs: the scoped
// package.json project @demo-ts/jobs), with the packed plugin added by `nx add`.
describe('adoption by an Nx 23 workspace', () => {
  let ws: NxFixture;
  let plugin: Awaited<ReturnType<typeof packPlugin>>;
  let registry: Verdaccio;
  let addOutput: string;
  const deployFile = () => JSON.parse(ws.read('deploy.json')) as { environments: Record<string, Record<string, unknown>> };
  const urlOf = (project: string) => (deployFile().environments.development!.services as Record<string, { url: string }>)[project]!.url;

  beforeAll(async () => {
    [plugin, ws, registry] = await Promise.all([packPlugin(), nxFixture('nx23-workspace'), startVerdaccio()]);
    const add = await ws.run(['nx', 'add', `@pod-protocol/nx-deploy@file:${plugin.tarball}`]);
    addOutput = String(add.all);
    if (add.exitCode !== 0) throw new Error(`nx add failed:\n${addOutput}`);
  }, 300_000);
  afterAll(async () => {
    await ws?.cleanup();
    plugin?.cleanup();
    await registry?.stop();
  }, 120_000);

  it('nx add registers the plugin, writes a starter deploy.json, git-ignores the state folder and says what next; again, it changes nothing', async () => {
    expect(JSON.parse(ws.read('nx.json')).plugins).toContain('@pod-protocol/nx-deploy');
    expect(ws.read('.gitignore')).toMatch(/^\/\.nx-deploy$/m);
    const file = deployFile();
    expect(Object.keys(file.environments)).toEqual(['development', 'staging', 'production']);
    expect(Object.keys(file.environments.development!.services as object).sort()).toEqual(['@demo-ts/jobs', 'api']);
    expect(file.environments.production).toMatchObject({ approval: { required: true } });
    expect(addOutput).toMatch(/Projects it deploys: .*api \(backend\).*web \(frontend\).*sdk \(package\).*@demo-ts\/jobs \(backend\)/);
    expect(addOutput).toMatch(/npx nx run-many -t deploy -c development/);

    const before = ['nx.json', 'deploy.json', '.gitignore'].map((f) => ws.read(f));
    const again = await ws.run(['nx', 'g', '@pod-protocol/nx-deploy:init']);
    expect(again.exitCode, String(again.all)).toBe(0);
    expect(again.all).toMatch(/already registered.*kept the existing deploy\.json/);
    expect(['nx.json', 'deploy.json', '.gitignore'].map((f) => ws.read(f))).toEqual(before);
  });

  it('run-many -t deploy -c development builds with Nx and deploys the api, the scoped project and the web app, as nx add wrote them', async () => {
    const res = await ws.run(['nx', 'run-many', '-t', 'deploy', '-c', 'development', '--output-style=static']);
    expect(res.exitCode, String(res.all)).toBe(0);
    // The api runs the entry point its build wrote (dist/apps/api/main.js), with the version its build gave.
    expect(res.all).toMatch(/release folder ready: dist\/apps\/api and \d+ production packages/);
    expect(await (await fetch(urlOf('api'))).json()).toEqual({ message: 'Hello API', version: '0.0.1' });
    expect((await fetch(urlOf('@demo-ts/jobs'))).status).toBe(200);
    const records = ws.ledger('development');
    const status = Object.fromEntries(records.map((r) => [r.project, [r.status, r.version]]));
    expect(status).toMatchObject({
      api: ['succeeded', '0.0.1'],
      '@demo-ts/jobs': ['succeeded', '1.2.0'],
      sdk: ['succeeded', '0.0.1'],
      web: ['succeeded', expect.stringMatching(/^sha-[0-9a-f]{12}$/)],
    });
    expect(JSON.stringify(records)).not.toMatch(/0\.0\.0/);
    // The web app's build (dist/apps/web, inferred by @nx/vite/plugin) is a release on the local
    // site nx add wrote, served by the plugin's static server and rendered by Chromium.
    const site = (deployFile().environments.development!.cdn as Record<string, { url: string }>).web!.url;
    expect(res.all).toMatch(/release [0-9a-f]{12}: \d+ files, \d+ uploaded/);
    expect(res.all).toContain('page rendered in Chromium');
    const page = await fetch(site);
    expect([page.status, page.headers.get('cache-control'), (await page.text()).includes('<html')]).toEqual([200, 'no-cache', true]);
    // The status page of this workspace: every environment nx add wrote, what serves in development.
    const statusPage = await ws.run(['nx-deploy', 'status', '--out', 'status.html']);
    expect(statusPage.exitCode, String(statusPage.all)).toBe(0);
    const html = readFileSync(join(ws.dir, 'status.html'), 'utf8');
    for (const env of ['development', 'staging', 'production']) expect(html).toContain(`<h2 id="env-${env}">${env}</h2>`);
    expect(html).toContain('<td><strong>api</strong></td><td>0.0.1</td>');
    expect(html).toContain('<td><strong>@demo-ts/jobs</strong></td><td>1.2.0</td>');
  });

  it('refuses -c prod and a deploy without a configuration before any side effect, naming the environments', async () => {
    const before = ws.ledger('development').length;
    for (const argv of [
      ['nx', 'run-many', '-t', 'deploy', '-c', 'prod', '--output-style=static'],
      ['nx', 'run', 'api:deploy', '--output-style=static'],
    ]) {
      const res = await ws.run(argv);
      expect(res.exitCode, String(res.all)).not.toBe(0);
      expect(res.all).toMatch(
        /was given no environment, so nothing was run\. Name one with -c \(--configuration\): development, staging, production/,
      );
    }
    expect(ws.ledger('development')).toHaveLength(before);
    expect(ws.ledger('prod')).toEqual([]);
  });

  it('20 consecutive run-many deploys: the tasks of one run share the environment lock on Nx 23', async () => {
    // The web app is left out: its deploy runs after the backends' (it shares no lock window with
    // them), and its Chromium smoke would add ~4 s to each of the 20 runs.
    for (let i = 0; i < 20; i++) {
      const res = await ws.run(['nx', 'run-many', '-t', 'deploy', '-c', 'development', '--parallel=4', '--exclude=web', '--output-style=static']);
      expect(res.all).not.toMatch(/locked by/);
      expect(res.exitCode, `run ${i + 1}:\n${res.all}`).toBe(0);
    }
  }, 900_000);

  it('a staging deploy publishes the library from its build output; it installs and require()s in a fresh folder', async () => {
    const file = deployFile();
    file.environments.staging!.npm = { registry: registry.url, distTag: 'next' };
    writeFileSync(join(ws.dir, 'deploy.json'), JSON.stringify(file, null, 2));
    const res = await ws.run(['nx', 'run', 'sdk:deploy:staging', '--output-style=static']);
    expect(res.exitCode, String(res.all)).toBe(0);

    const consumer = mkdtempSync(join(tmpdir(), 'pod-sdk-consumer-'));
    try {
      writeFileSync(join(consumer, 'package.json'), '{ "name": "consumer", "private": true }');
      const install = await execa('npm', ['install', '@demo/sdk@next', '--registry', registry.url, '--no-audit', '--no-fund'], {
        cwd: consumer,
        reject: false,
        all: true,
      });
      expect(install.exitCode, String(install.all)).toBe(0);
      const required = await execa(process.execPath, ['-e', "console.log(require('@demo/sdk').sdk())"], { cwd: consumer });
      expect(required.stdout).toBe('sdk');
    } finally {
      rmSync(consumer, { recursive: true, force: true });
    }
  });

  it('refuses to publish a package whose entry points are not in its tarball, before publishing', async () => {
    const manifest = JSON.parse(ws.read('libs/sdk/package.json'));
    writeFileSync(join(ws.dir, 'libs/sdk/package.json'), JSON.stringify({ ...manifest, version: '0.0.2', main: './src/missing.js' }, null, 2));
    const res = await ws.run(['nx', 'run', 'sdk:deploy:staging', '--output-style=static']);
    expect(res.exitCode, String(res.all)).not.toBe(0);
    expect(res.all).toMatch(
      /@demo\/sdk@0\.0\.2 \(packed from .*dist\/libs\/sdk\): main \.\/src\/missing\.js is not in the tarball\. Nothing was published: build it first \(nx run sdk:build\)/,
    );
    const packument = await (await fetch(`${registry.url}@demo%2fsdk`)).json();
    expect(Object.keys(packument.versions)).toEqual(['0.0.1']);
    writeFileSync(join(ws.dir, 'libs/sdk/package.json'), JSON.stringify(manifest, null, 2));
  });

  it('deploy.json syntax errors name the line and column', async () => {
    const text = ws.read('deploy.json');
    writeFileSync(join(ws.dir, 'deploy.json'), text.replace(/\n\s*}\s*$/, ',\n}\n'));
    try {
      const res = await ws.run(['nx', 'run', 'api:deploy:development', '--output-style=static', '--excludeTaskDependencies']);
      expect(res.exitCode).not.toBe(0);
      expect(res.all).toMatch(
        /deploy\.json is not valid JSON, so nothing was run: line \d+, column \d+: property name expected \(a trailing comma\?\)/,
      );
      expect(res.all).not.toMatch(/\n\s+at /);
    } finally {
      writeFileSync(join(ws.dir, 'deploy.json'), text);
    }
  });

  it('on Node 20 the first line the plugin prints says which Node it needs and how to get it', async () => {
    const node20 = '/usr/bin/node';
    const version = await execa(node20, ['--version'], { reject: false });
    expect(version.stdout, 'this test needs the machine Node 20 at /usr/bin/node').toMatch(/^v20\./);
    const cli = await execa(node20, [join(ws.dir, 'node_modules/.bin/nx-deploy'), 'history', '--env', 'development'], {
      cwd: ws.dir,
      reject: false,
      all: true,
    });
    expect(cli.exitCode).not.toBe(0);
    expect(String(cli.all).split('\n')[0]).toMatch(
      /^nx-deploy: @pod-protocol\/nx-deploy needs Node\.js 22 or newer, and this is Node\.js 20\.\d+\.\d+: install Node 22/,
    );
    const task = await execa(
      node20,
      [join(ws.dir, 'node_modules/.bin/nx'), 'run', 'sdk:deploy:development', '--output-style=static', '--excludeTaskDependencies'],
      {
        cwd: ws.dir,
        env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', PATH: `/usr/bin:${process.env.PATH}` },
        reject: false,
        all: true,
      },
    );
    expect(task.exitCode).not.toBe(0);
    const ours = String(task.all)
      .split('\n')
      .filter((l) => l.trim() && !l.includes('nx run sdk:deploy'));
    expect(ours[0]).toMatch(/^@pod-protocol\/nx-deploy needs Node\.js 22 or newer/);
    expect(task.all).not.toMatch(/TEXT_ENCODINGS/);
  });

  it("nx-deploy names an unknown command and lists the commands, with or without --help; a command's --help is its own", async () => {
    const unknown =
      "nx-deploy: unknown command 'deploy'. The commands are: plan, affected, health, rollback, cdn, unpin, proxy, history, status, report, lock, state, release, sync-crates";
    for (const argv of [
      ['deploy', '--env', 'development'],
      ['deploy', '--help'],
    ]) {
      const res = await ws.run(['nx-deploy', ...argv]);
      expect(res.exitCode, argv.join(' ')).toBe(2);
      expect(String(res.all).split('\n')[0]).toBe(unknown);
    }
    const own = await ws.run(['nx-deploy', 'history', '--help']);
    expect(own.exitCode).toBe(0);
    expect(own.all).toMatch(/^Usage:\n {2}history --env <env> \[--project p\] \[--json\]\n/);
    expect(own.all).not.toMatch(/rollback <project>/);
    const general = await ws.run(['nx-deploy', '--help']);
    expect(general.exitCode).toBe(0);
    expect(general.all).toMatch(/^Usage: nx-deploy <command> \[options\]\n\nCommands:\n {2}plan --env/);
  });
});
