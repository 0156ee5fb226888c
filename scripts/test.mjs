// The test command (npm test): installs or names the system tools the tests need
// (scripts/provision.mjs), builds the workspace, runs the Vitest projects unit, harness and e2e,
// then the Rust crates' cargo test. Every failure is printed on one line, then the harness tests
// (which test the test infrastructure) get a line of their own, and the LAST line counts the
// product's tests: "N passed, N failed, N skipped". Exits non-zero on any failure, or if no test ran.
//   npm test                        everything
//   npm test -- <filter>            the filter goes to every Vitest project; cargo test is left out
//   node scripts/test.mjs --config <vitest config> [filter]
//                                   only that config's projects: no provisioning, build or cargo
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { countCargoTest } from './test/cargo-results.mjs';

const root = join(import.meta.dirname, '..');
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const { config, filter } = parseArgs(process.argv.slice(2));
const product = { passed: 0, failed: 0, skipped: 0 };
const harness = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function run(argv, opts = {}) {
  console.log(`\n$ ${argv.join(' ')}`);
  return spawnSync(argv[0], argv.slice(1), { cwd: root, env, stdio: 'inherit', ...opts });
}

function add(into, counts) {
  into.passed += counts.passed;
  into.failed += counts.failed;
  into.skipped += counts.skipped;
  failures.push(...counts.failures);
}

function fail(into, line) {
  into.failed++;
  failures.push(line);
}

function finish() {
  if (failures.length) console.log(`\n${failures.length} failure${failures.length > 1 ? 's' : ''}:\n${failures.map((f) => `  ${f}`).join('\n')}`);
  const nothingRan = product.passed + harness.passed === 0;
  if (nothingRan && !failures.length) console.log(`\nno test ran${filter.length ? `: does \`${filter.join(' ')}\` match any test file?` : ''}`);
  const line = (c) => `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
  if (!config) console.log(`\nharness: ${line(harness)}`);
  console.log(`${config ? '\n' : ''}${line(product)}`);
  process.exit(product.failed || harness.failed || nothingRan ? 1 : 0);
}

/** One Vitest run, counted by scripts/test/accounting-reporter.mjs rather than by Vitest's exit code alone. */
function vitest(label, args) {
  const report = join(root, 'tmp', `test-accounting-${label}.json`);
  rmSync(report, { force: true });
  const reporter = join(root, 'scripts', 'test', 'accounting-reporter.mjs');
  const r = run(['npx', 'vitest', 'run', ...args, '--passWithNoTests', '--reporter=default', `--reporter=${reporter}`, ...filter], {
    env: { ...env, TEST_ACCOUNTING_FILE: report },
  });
  if (!existsSync(report))
    return {
      passed: 0,
      failed: 1,
      skipped: 0,
      failures: [`vitest (${label}): exited with ${r.status} before it reported any result (see its output above)`],
    };
  const counts = JSON.parse(readFileSync(report, 'utf8'));
  // Vitest may fail a run for a reason the accounting does not see (e.g. a coverage threshold).
  if (r.status !== 0 && counts.failed === 0) {
    counts.failed++;
    counts.failures.push(`vitest (${label}): exited with ${r.status} though no test failed (see its output above)`);
  }
  return counts;
}

mkdirSync(join(root, 'tmp'), { recursive: true });

if (config) {
  add(product, vitest('config', ['--config', config]));
  finish();
}

if (run([process.execPath, join(root, 'scripts', 'provision.mjs')]).status !== 0) {
  fail(product, 'provision: tools the tests need are missing (see above), so no test ran');
  finish();
}

if (run(['npx', 'nx', 'run-many', '-t', 'build', '--output-style=static']).status !== 0) {
  fail(product, 'build: nx run-many -t build failed (see above), so no test ran');
  finish();
}

// One project at a time keeps the 2-core machine's load, and so the e2e timings, sane. The harness
// runs before e2e: if the container tooling or a registry double is broken, that is said first.
add(product, vitest('unit', ['--project', 'unit']));
add(harness, vitest('harness', ['--project', 'harness']));
add(product, vitest('e2e', ['--project', 'e2e']));

// Rust crates: every package with a Cargo.toml. --no-fail-fast so that a failing unit test does not
// keep the doc-tests from running and being counted.
if (!filter.length) {
  for (const dir of readdirSync(join(root, 'packages'))) {
    const manifest = join(root, 'packages', dir, 'Cargo.toml');
    if (!existsSync(manifest)) continue;
    const cargo = run(['cargo', 'test', '--no-fail-fast', '--manifest-path', manifest], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    process.stdout.write(cargo.stdout ?? '');
    add(product, countCargoTest(cargo.stdout ?? '', cargo.status, `packages/${dir}`));
  }
}

finish();

function parseArgs(args) {
  const at = args.indexOf('--config');
  if (at < 0) return { config: undefined, filter: args };
  if (!args[at + 1]) {
    console.error('--config needs a Vitest config file, e.g. node scripts/test.mjs --config test/accounting/fixtures/vitest.config.mts');
    process.exit(2);
  }
  return { config: args[at + 1], filter: args.toSpliced(at, 2) };
}
