import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Options } from 'execa';
import { fixtureInstallDir, fixtureSource } from '../../scripts/provision/nx-fixtures.mjs';
import { stopWhatDeploysLeft } from './processes.ts';
import { workspaceRoot } from './workspace.ts';

/**
 * The plugin as a user gets it: built into a temp folder (dist/ of this checkout is not touched)
 * and packed with npm. Returns the tarball's path.
 */
export async function packPlugin(): Promise<{ tarball: string; cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'pod-plugin-pack-'));
  await execa(process.execPath, [join(workspaceRoot, 'tools/deploy-plugin/scripts/build.mjs')], {
    env: { PLUGIN_DIST_DIR: join(dir, 'dist') },
  });
  await execa('npm', ['pack', '--pack-destination', dir], { cwd: join(dir, 'dist') });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${dir}`);
  return { tarball: join(dir, tarball), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface NxFixture {
  dir: string;
  /** Runs npx <argv> in the fixture, as its user would; npm is offline (its cache was warmed by provisioning). */
  run(argv: string[], env?: Record<string, string>, options?: Options): ReturnType<typeof execa>;
  read(path: string): string;
  /** Latest record per deploy id of an environment's ledger (file store). */
  ledger(env: string): Array<Record<string, unknown>>;
  /** Stops every service the fixture's deploys left running, then removes the folder. */
  cleanup(): Promise<void>;
}

/**
 * A fresh copy of test/fixtures/<name> (a workspace in create-nx-workspace's layout) in a temp
 * folder, its node_modules hard-linked from what provisioning installed, committed to a new git
 * repository (deploys record the commit).
 */
export async function nxFixture(name: string): Promise<NxFixture> {
  const installed = fixtureInstallDir(name);
  if (!existsSync(join(installed, 'node_modules', '.bin', 'nx'))) {
    throw new Error(`the ${name} fixture is not installed at ${installed}: run npm test (it provisions it) or bash scripts/ci/nx-fixtures.sh`);
  }
  const dir = mkdtempSync(join(tmpdir(), `pod-${name}-`));
  cpSync(fixtureSource(name), dir, { recursive: true });
  // Hard links take a second for ~170 MB; across file systems, a copy.
  const linked = await execa('cp', ['-al', join(installed, 'node_modules'), join(dir, 'node_modules')], { reject: false });
  if (linked.exitCode !== 0) await execa('cp', ['-a', join(installed, 'node_modules'), join(dir, 'node_modules')]);
  const git = (...args: string[]) => execa('git', ['-c', 'user.name=fixture', '-c', 'user.email=fixture@example.com', ...args], { cwd: dir });
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-qm', 'create-nx-workspace');
  const env = {
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    FORCE_COLOR: '0',
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
  const state = join(dir, '.nx-deploy');
  return {
    dir,
    run: (argv, extra = {}, options = {}) => execa('npx', argv, { cwd: dir, env: { ...env, ...extra }, reject: false, all: true, ...options }),
    read: (path) => readFileSync(join(dir, path), 'utf8'),
    ledger(envName) {
      const path = join(state, 'ledger', `${envName}.jsonl`);
      if (!existsSync(path)) return [];
      const latest = new Map<string, Record<string, unknown>>();
      for (const line of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
        const rec = JSON.parse(line) as Record<string, unknown>;
        latest.set(String(rec.id), rec);
      }
      return [...latest.values()];
    },
    async cleanup() {
      await stopWhatDeploysLeft(state);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
