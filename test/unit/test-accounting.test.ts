import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM module of the test command, without types
import { countCargoTest } from '../../scripts/test/cargo-results.mjs';
// @ts-expect-error: a plain ESM module of the test command, without types
import { countResults } from '../../scripts/test/count-results.mjs';

const root = join(import.meta.dirname, '..', '..');
const file = 'test/e2e/x.test.ts';

// The plain objects scripts/test/accounting-reporter.mjs makes of Vitest's results.
const test = (name: string, state: string, more: { mode?: string; errors?: string[] } = {}) => ({
  type: 'test',
  name,
  state,
  mode: 'run',
  errors: [],
  ...more,
});
const suite = (name: string, children: object[], errors: string[] = []) => ({ type: 'suite', name, errors, children });
const testModule = (children: object[], errors: string[] = []) => ({ type: 'module', name: file, errors, children });

describe('countResults', () => {
  it('counts passed, failed and skipped tests, one line per failure with the first line of its error', () => {
    const counts = countResults(
      [testModule([test('a', 'passed'), test('b', 'failed', { errors: ['expected 1 to be 2\n- Expected'] }), test('c', 'skipped')])],
      [],
    );
    expect(counts).toEqual({ passed: 1, failed: 1, skipped: 1, failures: [`${file} > b: expected 1 to be 2`] });
  });

  it('counts the tests a failed beforeAll kept from running as failed, not skipped; todo stays skipped', () => {
    // Vitest 5.1.1 reports them as skipped with mode "run", like ctx.skip(); the error is on the module.
    const counts = countResults(
      [testModule([test('a', 'skipped'), test('b', 'skipped'), test('c', 'skipped', { mode: 'todo' })], ['db down\nat line 2'])],
      [],
    );
    expect(counts).toEqual({
      passed: 0,
      failed: 2,
      skipped: 1,
      failures: [`${file} > a: not run, beforeAll failed: db down`, `${file} > b: not run, beforeAll failed: db down`],
    });
  });

  it('fails the suite whose beforeAll failed, and only that suite', () => {
    const counts = countResults([testModule([test('outside', 'passed'), suite('registry', [test('registry > push', 'skipped')], ['no port'])])], []);
    expect(counts).toEqual({ passed: 1, failed: 1, skipped: 0, failures: [`${file} > registry > push: not run, beforeAll failed: no port`] });
  });

  it('counts a failed beforeAll as one failure even when no test was meant to run', () => {
    const counts = countResults([testModule([test('later', 'skipped', { mode: 'todo' })], ['db down'])], []);
    expect(counts).toEqual({ passed: 0, failed: 1, skipped: 1, failures: [`${file}: db down`] });
  });

  it('counts a module that failed to load as one failure', () => {
    expect(countResults([testModule([], ["Cannot find module './gone.ts'"])], [])).toEqual({
      passed: 0,
      failed: 1,
      skipped: 0,
      failures: [`${file}: Cannot find module './gone.ts'`],
    });
  });

  it('counts a failed afterAll as one failure and keeps the tests that passed', () => {
    const counts = countResults([testModule([test('a', 'passed'), test('b', 'skipped')], ['could not stop'])], []);
    expect(counts).toEqual({ passed: 1, failed: 1, skipped: 1, failures: [`${file}: afterAll failed: could not stop`] });
  });

  it('counts every unhandled error, with its test file when Vitest knows it', () => {
    const counts = countResults(
      [testModule([test('a', 'passed')])],
      [
        { type: 'Unhandled Rejection', message: 'nobody awaited this', file, test: 'a' },
        { type: 'Uncaught Exception', message: 'boom' },
      ],
    );
    expect(counts).toEqual({
      passed: 1,
      failed: 2,
      skipped: 0,
      failures: [`${file} > a: Unhandled Rejection: nobody awaited this`, 'outside any test file: Uncaught Exception: boom'],
    });
  });

  it('counts a test that never finished, and an interrupted run, as failures', () => {
    const counts = countResults([testModule([test('a', 'pending')])], [], 'interrupted');
    expect(counts.failures).toEqual([`${file} > a: did not finish`, 'vitest: the run was interrupted before every file ran']);
    expect(counts.failed).toBe(2);
  });
});

describe('countCargoTest', () => {
  // Trimmed from a real `cargo test --no-fail-fast` run: a failing unit test, then the doc-tests.
  const output = [
    'running 3 tests',
    'test tests::ok ... ok',
    'test tests::slow ... ignored',
    'test tests::bad ... FAILED',
    '',
    'failures:',
    '',
    '---- tests::bad stdout ----',
    '',
    "thread 'tests::bad' (14481) panicked at src/lib.rs:8:24:",
    'assertion `left == right` failed: two is not three',
    '  left: 2',
    '',
    'test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.15s',
    '',
    'running 1 test',
    'test src/lib.rs - two (line 1) ... ok',
    '',
    'test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s',
  ].join('\n');

  it('adds up every test target and names each failed test with its panic message', () => {
    expect(countCargoTest(output, 101, 'packages/sdk-rust')).toEqual({
      passed: 2,
      failed: 1,
      skipped: 1,
      failures: ['packages/sdk-rust > tests::bad: assertion `left == right` failed: two is not three'],
    });
  });

  it('counts a run that failed before any test (a compile error) as one failure', () => {
    expect(countCargoTest('', 101, 'packages/sdk-rust')).toEqual({
      passed: 0,
      failed: 1,
      skipped: 0,
      failures: ['packages/sdk-rust: cargo test exited with 101 before any test failed (see its output above)'],
    });
  });
});

describe('npm test on fixtures that fail in every way a run can fail', () => {
  it('counts each failure, prints one line for it, ends with the counts and exits non-zero', () => {
    const r = spawnSync(process.execPath, ['scripts/test.mjs', '--config', 'test/accounting/fixtures/vitest.config.mts'], {
      cwd: root,
      encoding: 'utf8',
    });
    const lines = r.stdout.trimEnd().split('\n');
    const fixture = (name: string) => `test/accounting/fixtures/${name}.fixture.ts`;

    expect(lines.at(-1)).toBe('5 passed, 9 failed, 3 skipped');
    expect(r.status).toBe(1);
    expect(
      lines
        .filter((l) => l.startsWith('  test/accounting/'))
        .map((l) => l.trim())
        .sort(),
    ).toEqual(
      [
        `${fixture('after-all-throws')}: afterAll failed: could not stop the server`,
        `${fixture('before-all-throws-in-describe')} > registry > pushes an image: not run, beforeAll failed: the registry did not start`,
        `${fixture('before-all-throws')} > reads a row: not run, beforeAll failed: the database did not start`,
        `${fixture('before-all-throws')} > writes a row: not run, beforeAll failed: the database did not start`,
        `${fixture('before-each-throws')} > starts a server: no free port`,
        `${fixture('before-each-throws')} > stops a server: no free port`,
        `${fixture('failing-test')} > fails: expected 1 to be 2 // Object.is equality`,
        `${fixture('fails-to-load')}: Cannot find module './missing-module.ts' imported from ${join(root, fixture('fails-to-load'))}`,
        `${fixture('unhandled-rejection')}: Unhandled Rejection: nobody awaited this`,
      ].sort(),
    );
  });
});
