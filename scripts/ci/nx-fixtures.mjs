// Installs each Nx fixture workspace's node_modules (npm ci from its committed lock file) into the
// test tools folder, and warms npm's cache with the plugin's own dependencies by installing the
// packed plugin once in a scratch copy: the tests then run `nx add` with npm offline, reaching
// nothing beyond loopback. Idempotent: a fixture already installed under its current key is kept,
// and the cache is warmed again only for an npm cache it has not warmed (npm_config_cache, another user).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { NX_FIXTURES, cacheWarmedMarker, fixtureInstallDir, fixtureSource, npmCacheDir, repoRoot } from '../provision/nx-fixtures.mjs';

const run = (cmd, args, cwd, env = {}) => execFileSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });

/** Installs the packed plugin into a scratch copy of `workspace`: npm's cache then holds everything `nx add` fetches. */
function warmNpmCache(workspace) {
  const pack = mkdtempSync(join(workspace, '..', 'plugin-'));
  try {
    run(process.execPath, [join(repoRoot, 'tools', 'deploy-plugin', 'scripts', 'build.mjs')], repoRoot, { PLUGIN_DIST_DIR: join(pack, 'dist') });
    run('npm', ['pack', '--pack-destination', pack], join(pack, 'dist'));
    const tarball = readdirSync(pack).find((f) => f.endsWith('.tgz'));
    const scratch = join(pack, 'scratch');
    cpSync(workspace, scratch, { recursive: true });
    run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '-D', `@pod-protocol/nx-deploy@file:${join(pack, tarball)}`], scratch, {
      npm_config_cache: npmCacheDir(),
    });
  } finally {
    rmSync(pack, { recursive: true, force: true });
  }
}

function markWarmed(marker) {
  mkdirSync(dirname(marker), { recursive: true });
  writeFileSync(marker, `${npmCacheDir()}\n`);
}

for (const name of NX_FIXTURES) {
  const target = fixtureInstallDir(name);
  const marker = cacheWarmedMarker(name);
  if (existsSync(join(target, 'node_modules', '.bin', 'nx'))) {
    if (existsSync(marker)) {
      console.log(`${name}: already installed at ${target}, npm cache ${npmCacheDir()} warmed`);
      continue;
    }
    console.log(`${name}: installed at ${target}; warming the npm cache ${npmCacheDir()} for it`);
    warmNpmCache(target);
    markWarmed(marker);
    continue;
  }
  const start = Date.now();
  mkdirSync(join(target, '..'), { recursive: true });
  const work = mkdtempSync(`${target}.partial-`);
  cpSync(fixtureSource(name), work, { recursive: true });
  run('npm', ['ci', '--no-audit', '--no-fund'], work);
  warmNpmCache(work);
  markWarmed(join(work, relative(target, marker)));
  rmSync(target, { recursive: true, force: true });
  renameSync(work, target);
  console.log(`${name}: installed at ${target} in ${Math.round((Date.now() - start) / 1000)} s`);
}
