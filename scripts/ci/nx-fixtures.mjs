// Installs each Nx fixture workspace's node_modules (npm ci from its committed lock file) into the
// test tools folder, and warms npm's cache with the plugin's own dependencies by installing the
// packed plugin once in a scratch copy: the tests then run `nx add` with npm offline, reaching
// nothing beyond loopback. Idempotent: a fixture already installed under its current key is skipped.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { NX_FIXTURES, fixtureInstallDir, fixtureSource, repoRoot } from '../provision/nx-fixtures.mjs';

const run = (cmd, args, cwd, env = {}) => execFileSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });

for (const name of NX_FIXTURES) {
  const target = fixtureInstallDir(name);
  if (existsSync(join(target, 'node_modules', '.bin', 'nx'))) {
    console.log(`${name}: already installed at ${target}`);
    continue;
  }
  const start = Date.now();
  mkdirSync(join(target, '..'), { recursive: true });
  const work = mkdtempSync(`${target}.partial-`);
  cpSync(fixtureSource(name), work, { recursive: true });
  run('npm', ['ci', '--no-audit', '--no-fund'], work);

  const pack = mkdtempSync(join(work, '..', 'plugin-'));
  run(process.execPath, [join(repoRoot, 'tools', 'deploy-plugin', 'scripts', 'build.mjs')], repoRoot, { PLUGIN_DIST_DIR: join(pack, 'dist') });
  run('npm', ['pack', '--pack-destination', pack], join(pack, 'dist'));
  const tarball = readdirSync(pack).find((f) => f.endsWith('.tgz'));
  const scratch = join(pack, 'scratch');
  cpSync(work, scratch, { recursive: true });
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '-D', `@pod-protocol/nx-deploy@file:${join(pack, tarball)}`], scratch);
  rmSync(pack, { recursive: true, force: true });

  rmSync(target, { recursive: true, force: true });
  renameSync(work, target);
  console.log(`${name}: installed at ${target} in ${Math.round((Date.now() - start) / 1000)} s`);
}
