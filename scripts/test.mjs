// The test command (npm test): builds the workspace, runs the unit and end-to-end suites with
// Vitest and the Rust crate's tests with cargo, then prints one countable line:
// "N passed, N failed". Exits non-zero if anything failed or nothing ran.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const args = process.argv.slice(2);
let passed = 0;
let failed = 0;

function run(argv, opts = {}) {
  console.log(`\n$ ${argv.join(' ')}`);
  return spawnSync(argv[0], argv.slice(1), { cwd: root, env, stdio: 'inherit', ...opts });
}

const build = run(['npx', 'nx', 'run-many', '-t', 'build', '--output-style=static']);
if (build.status !== 0) {
  console.log('\nthe build failed, so no test ran\n0 passed, 1 failed');
  process.exit(1);
}

mkdirSync(join(root, 'tmp'), { recursive: true });
// The unit suite first, then the end-to-end suite: one at a time keeps the 2-core machine's load,
// and so the e2e timings, sane. Arguments (e.g. a file filter) go to both.
for (const project of ['unit', 'e2e']) {
  const report = join(root, 'tmp', `vitest-${project}.json`);
  rmSync(report, { force: true });
  const vitest = run(['npx', 'vitest', 'run', '--project', project, '--passWithNoTests', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args]);
  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    // A file that fails to load has no failed tests in it but must still count.
    failed += r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
  } else if (vitest.status !== 0) failed++;
}

// Rust crates: every package with a Cargo.toml runs cargo test.
if (!args.length) {
  for (const dir of readdirSync(join(root, 'packages'))) {
    const manifest = join(root, 'packages', dir, 'Cargo.toml');
    if (!existsSync(manifest)) continue;
    const cargo = run(['cargo', 'test', '--manifest-path', manifest], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    process.stdout.write(cargo.stdout ?? '');
    for (const m of (cargo.stdout ?? '').matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
      passed += Number(m[1]);
      failed += Number(m[2]);
    }
    if (cargo.status !== 0 && !/test result: FAILED/.test(cargo.stdout ?? '')) failed++;
  }
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
