// Counts one `cargo test --no-fail-fast` run (its stdout) the way count-results.mjs counts Vitest:
// { passed, failed, skipped, failures }, one line per failure. Ignored tests count as skipped.
// A run that fails before any "test result:" line (e.g. a compile error) is one failure.

/** @param {string} crate label for the failure lines, e.g. packages/sdk-rust */
export function countCargoTest(stdout, exitCode, crate) {
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  for (const m of stdout.matchAll(/^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/gm)) {
    counts.passed += Number(m[1]);
    counts.failed += Number(m[2]);
    counts.skipped += Number(m[3]);
  }
  for (const [, test] of stdout.matchAll(/^test (.+) \.\.\. FAILED$/gm)) counts.failures.push(`${crate} > ${test}: ${panicMessage(stdout, test)}`);
  if (exitCode !== 0 && counts.failed === 0) {
    counts.failed = 1;
    counts.failures.push(`${crate}: cargo test exited with ${exitCode} before any test failed (see its output above)`);
  }
  return counts;
}

/** The line after "thread '<test>' ... panicked at <file>:<line>:<col>:", where Rust puts the message. */
function panicMessage(stdout, test) {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`thread '${test}'`) && l.includes(' panicked at '));
  return at >= 0 && lines[at + 1] ? lines[at + 1].trim() : 'FAILED';
}
