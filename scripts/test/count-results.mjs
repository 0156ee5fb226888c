// Turns one Vitest run into counts that cannot hide a failure: { passed, failed, skipped, failures },
// with one line in `failures` per counted failure. Pure: it reads the plain objects that
// accounting-reporter.mjs makes of Vitest's TestModule tree, so it is tested without running Vitest.
//
// Shapes (see toPlain in accounting-reporter.mjs):
//   module  { type: 'module', name: file path, errors: [message], children: [suite | test] }
//   suite   { type: 'suite', name: full name, errors: [message], children: [suite | test] }
//   test    { type: 'test', name: full name, mode: 'run'|'only'|'skip'|'todo',
//             state: 'passed'|'failed'|'skipped'|'pending', errors: [message] }
//   unhandled error  { type: e.g. 'Unhandled Rejection', message, file?, test? }
//
// Why the rules look at what ran: Vitest 5.1.1 puts the error of a failed beforeAll, of a failed
// afterAll and of a module that could not load in the same place (the suite's or module's errors()),
// and reports the tests a failed beforeAll kept from running as "skipped", exactly like ctx.skip().
// What tells a broken setup from a broken teardown is that after a failed beforeAll no test below
// it passed or failed. (A teardown failure in a suite whose every test skipped itself therefore
// counts as a setup failure: more failures, never fewer.)

/** @param {'passed'|'failed'|'interrupted'} reason Vitest's reason for ending the run */
export function countResults(modules, unhandledErrors, reason = 'passed') {
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const fail = (where, message) => {
    counts.failed++;
    counts.failures.push(`${where}: ${firstLine(message)}`);
  };

  function countSuite(suite, file) {
    const tests = allTests(suite);
    const ran = tests.some((t) => t.state === 'passed' || t.state === 'failed');
    if (suite.errors.length && !ran) {
      // A failed beforeAll or a module that did not load: nothing below ran, so every test that was
      // meant to run counts as failed, and the file fails even if it has no such test.
      const before = counts.failed;
      for (const t of tests) {
        if (t.mode === 'skip' || t.mode === 'todo') counts.skipped++;
        else fail(`${file} > ${t.name}`, `not run, beforeAll failed: ${firstLine(suite.errors[0])}`);
      }
      if (counts.failed === before) fail(suite.type === 'module' ? file : `${file} > ${suite.name}`, suite.errors[0]);
      return;
    }
    // A failed afterAll (or other teardown) after tests ran: one failure, the tests keep their result.
    if (suite.errors.length) fail(suite.type === 'module' ? file : `${file} > ${suite.name}`, `afterAll failed: ${firstLine(suite.errors[0])}`);
    for (const child of suite.children) {
      if (child.type !== 'test') countSuite(child, file);
      else if (child.state === 'passed') counts.passed++;
      else if (child.state === 'skipped') counts.skipped++;
      else if (child.state === 'failed') fail(`${file} > ${child.name}`, child.errors[0] ?? 'failed without an error');
      else fail(`${file} > ${child.name}`, 'did not finish');
    }
  }

  for (const module of modules) countSuite(module, module.name);
  for (const e of unhandledErrors) {
    const where = e.file ? [e.file, e.test].filter(Boolean).join(' > ') : 'outside any test file';
    fail(where, `${e.type ?? 'unhandled error'}: ${e.message}`);
  }
  if (reason === 'interrupted') fail('vitest', 'the run was interrupted before every file ran');
  return counts;
}

function allTests(suite) {
  return suite.children.flatMap((c) => (c.type === 'test' ? [c] : allTests(c)));
}

function firstLine(message) {
  return String(message ?? '')
    .trim()
    .split('\n')[0];
}
