// Builds the publishable plugin into dist/: compiled JavaScript (so a user's Nx loads it without
// a TypeScript loader, fast) with its own package.json, executors.json and JSON schemas.
// In this workspace the plugin runs from its TypeScript sources directly (Node 22 strips types).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// PLUGIN_DIST_DIR: build elsewhere (a test packs its own copy without touching dist/).
const dist = process.env.PLUGIN_DIST_DIR ?? join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.lib.json'), '--outDir', join(dist, 'src')], { stdio: 'inherit' });

// tsc leaves some dynamic import('./x.ts') unrewritten (one passed straight as a call argument):
// a published file importing a .ts path fails only when that code runs, so the build fails instead.
const leftovers = readdirSync(dist, { recursive: true })
  .filter((f) => f.endsWith('.js'))
  .filter((f) => /(?:from|import\()\s*['"]\.{1,2}\/[^'"]+\.ts['"]/.test(readFileSync(join(dist, f), 'utf8')));
if (leftovers.length) throw new Error(`compiled files still import .ts paths: ${leftovers.join(', ')}`);

const toJs = (p) => p.replace(/\.ts$/, '.js');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const { scripts: _s, nx: _n, devDependencies: _d, ...published } = pkg;
published.main = toJs(pkg.main);
published.types = pkg.types.replace(/\.ts$/, '.d.ts');
published.bin = Object.fromEntries(Object.entries(pkg.bin).map(([k, v]) => [k, toJs(v)]));
// publishConfig.directory points from the source folder to this one; here it would point to dist/dist.
const { directory: _dir, ...publishConfig } = pkg.publishConfig ?? {};
published.publishConfig = publishConfig;
writeFileSync(join(dist, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);

const executors = JSON.parse(readFileSync(join(root, 'executors.json'), 'utf8'));
for (const e of Object.values(executors.executors)) e.implementation = toJs(e.implementation);
writeFileSync(join(dist, 'executors.json'), `${JSON.stringify(executors, null, 2)}\n`);

const generators = JSON.parse(readFileSync(join(root, 'generators.json'), 'utf8'));
for (const g of Object.values(generators.generators)) g.factory = toJs(g.factory);
writeFileSync(join(dist, 'generators.json'), `${JSON.stringify(generators, null, 2)}\n`);

for (const kind of ['executors', 'generators']) {
  for (const name of readdirSync(join(root, 'src', kind))) {
    mkdirSync(join(dist, 'src', kind, name), { recursive: true });
    cpSync(join(root, 'src', kind, name, 'schema.json'), join(dist, 'src', kind, name, 'schema.json'));
  }
}
for (const file of ['deploy.schema.json', 'README.md', 'CONFIGURATION.md', 'EXECUTORS.md', 'CHANGELOG.md'])
  cpSync(join(root, file), join(dist, file));
console.log(`built ${published.name}@${published.version} into ${dist}`);
