// The Nx workspaces the adoption tests install the packed plugin into (test/fixtures/<name>): each
// gets its node_modules installed once from the npm registry into the test tools folder, under a
// name that changes with its lock file and the plugin's dependencies, so a change reinstalls it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
