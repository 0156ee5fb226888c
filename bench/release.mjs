// Release benchmark: 50 generated npm packages with dependencies between them, published to one
// Verdaccio by our release flow (`nx-deploy release`) and by `changeset publish`, in the same run,
// each into its own scope so both publish the same work. Prints the ratio ours/theirs (goal
// <= 0.25) and the time of a re-run of ours with nothing new (goal <= 1 s). Never fails on a time.
//   npm run bench:release [-- --packages 50 --keep]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { run } from './lib/exec.mjs';
import { startVerdaccio } from '../test/support/verdaccio.ts';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { packages: { type: 'string', default: '50' }, keep: { type: 'boolean', default: false } } });
const count = Number(values.packages);

/** A deterministic DAG: package i depends on up to two earlier ones. */
function dependencies(i) {
  const deps = new Set();
  if (i > 0) deps.add((i * 7) % i);
  if (i > 3) deps.add((i * 13 + 5) % i);
  return [...deps];
}

function makeWorkspace(dir, scope, registry) {
  const name = (i) => `@${scope}/p${String(i).padStart(2, '0')}`;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `${scope}-ws`, private: true, workspaces: ['packages/*'] }, null, 2));
  mkdirSync(join(dir, '.changeset'), { recursive: true });
  writeFileSync(
    join(dir, '.changeset', 'config.json'),
    JSON.stringify({ changelog: false, commit: false, access: 'public', baseBranch: 'main', updateInternalDependencies: 'patch', ignore: [] }),
  );
  writeFileSync(join(dir, '.npmrc'), `//${new URL(registry).host}/:_authToken=bench-token\n`);
  writeFileSync(join(dir, '.gitignore'), 'node_modules\n.nx-deploy\n');
  writeFileSync(
    join(dir, 'deploy.json'),
    JSON.stringify({ release: { environment: 'bench', concurrency: 8 }, environments: { bench: { npm: { registry, distTag: 'latest' } } } }),
  );
  for (let i = 0; i < count; i++) {
    const pkgDir = join(dir, 'packages', `p${i}`);
    mkdirSync(pkgDir, { recursive: true });
    const deps = Object.fromEntries(dependencies(i).map((d) => [name(d), '^1.0.0']));
    writeFileSync(
      join(pkgDir, 'package.json'),
      JSON.stringify({ name: name(i), version: '1.0.0', license: 'MIT', main: 'index.js', dependencies: deps }, null, 2),
    );
    writeFileSync(join(pkgDir, 'index.js'), `module.exports = ${JSON.stringify(name(i))};\n`);
  }
}

async function git(dir) {
  // Changesets finds npm workspaces through package-lock.json; the packages only need each other.
  await run(['npm', 'install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--offline'], { cwd: dir });
  const env = { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@b' };
  await run(['git', 'init', '-q', '-b', 'main'], { cwd: dir, env });
  await run(['git', 'add', '-A'], { cwd: dir, env });
  await run(['git', 'commit', '-q', '-m', 'bench'], { cwd: dir, env });
  return env;
}

const work = mkdtempSync(join(tmpdir(), 'pod-bench-release-'));
const verdaccio = await startVerdaccio();
try {
  const ours = join(work, 'ours');
  const theirs = join(work, 'theirs');
  mkdirSync(ours);
  mkdirSync(theirs);
  makeWorkspace(ours, 'ours', verdaccio.url);
  makeWorkspace(theirs, 'theirs', verdaccio.url);
  const envOurs = await git(ours);
  const envTheirs = await git(theirs);
  // Same Node and the same installed tools for both: the workspace's.
  const node = process.execPath;
  const oursCli = join(root, 'tools/deploy-plugin/src/cli/main.ts');
  const changeset = join(root, 'node_modules/@changesets/cli/bin.js');

  const theirsRun = await run([node, changeset, 'publish'], { cwd: theirs, env: { ...envTheirs, npm_config_registry: verdaccio.url } });
  if (process.env.BENCH_DEBUG) console.log(theirsRun.stdout, theirsRun.stderr);
  const oursRun = await run([node, oursCli, 'release'], { cwd: ours, env: { ...envOurs, NX_WORKSPACE_ROOT: ours } });
  const rerun = await run([node, oursCli, 'release'], { cwd: ours, env: { ...envOurs, NX_WORKSPACE_ROOT: ours } });
  const published = (out) => (out.match(/published @/g) ?? []).length;

  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const ratio = oursRun.ms / theirsRun.ms;
  console.log(`\nRelease of ${count} packages with dependencies to one Verdaccio (same run, same Node ${process.version})`);
  console.log(`  changeset publish (anchor)  ${s(theirsRun.ms)}`);
  console.log(`  nx-deploy release           ${s(oursRun.ms)}  (${published(oursRun.stdout)} published)`);
  console.log(`  ratio ours/theirs           ${ratio.toFixed(2)}  (goal <= 0.25: ${ratio <= 0.25 ? 'PASS' : 'MISS'})`);
  console.log(`  re-run, nothing new         ${s(rerun.ms)}  (goal <= 1 s: ${rerun.ms <= 1000 ? 'PASS' : 'MISS'})`);
} finally {
  await verdaccio.stop();
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
