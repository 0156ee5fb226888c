// The Nx workspaces the adoption tests install the packed plugin into (test/fixtures/<name>): each
// gets its node_modules installed once from the npm registry into the test tools folder, under a
// name that changes with its lock file and the plugin's dependencies, so a change reinstalls it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testToolsDir } from './tools-dir.mjs';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NX_FIXTURES = ['nx23-workspace'];

export function fixtureSource(name) {
  return join(repoRoot, 'test', 'fixtures', name);
}

/** Where a fixture's installed node_modules live: keyed by its lock file and the plugin's dependencies. */
export function fixtureInstallDir(name, env = process.env) {
  const hash = createHash('sha256')
    .update(readFileSync(join(fixtureSource(name), 'package-lock.json')))
    .update(JSON.stringify(JSON.parse(readFileSync(join(repoRoot, 'tools', 'deploy-plugin', 'package.json'), 'utf8')).dependencies))
    .digest('hex')
    .slice(0, 12);
  return join(testToolsDir(env), 'fixtures', `${name}-${hash}`);
}

/**
 * The npm cache the tests' offline `nx add` reads: npm_config_cache, else npm's default. A second
 * user, or a run with its own cache, needs that cache warmed even where the fixture is installed.
 */
export function npmCacheDir(env = process.env) {
  return resolve(env.npm_config_cache || env.NPM_CONFIG_CACHE || join(homedir(), '.npm'));
}

/** Exists once the packed plugin was installed with that npm cache for this installed fixture. */
export function cacheWarmedMarker(name, env = process.env) {
  const cache = createHash('sha256').update(npmCacheDir(env)).digest('hex').slice(0, 12);
  return join(fixtureInstallDir(name, env), '.npm-cache-warmed', cache);
}
