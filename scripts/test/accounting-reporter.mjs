// Vitest reporter for scripts/test.mjs: at the end of the run it counts the results with
// count-results.mjs and writes { passed, failed, skipped, failures } as JSON to the file named by
// TEST_ACCOUNTING_FILE. Vitest's own reporters keep printing; this one prints nothing.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { countResults } from './count-results.mjs';

export default class AccountingReporter {
  constructor() {
    this.file = process.env.TEST_ACCOUNTING_FILE;
    if (!this.file) throw new Error('accounting-reporter.mjs writes to TEST_ACCOUNTING_FILE, which is not set: run the tests with `npm test`');
  }

  onTestRunEnd(testModules, unhandledErrors, reason) {
    const counts = countResults(testModules.map(toPlain), unhandledErrors.map(plainUnhandled), reason);
    writeFileSync(this.file, JSON.stringify(counts));
  }
}

/** The TestModule / TestSuite / TestCase tree as the plain objects count-results.mjs reads. */
function toPlain(entity) {
  if (entity.type === 'test') {
    const result = entity.result();
    return {
      type: 'test',
      name: entity.fullName,
      mode: entity.options.mode,
      state: result.state,
      errors: (result.errors ?? []).map((e) => e.message),
    };
  }
  return {
    type: entity.type,
    name: entity.type === 'module' ? relative(process.cwd(), entity.moduleId) : entity.fullName,
    errors: entity.errors().map((e) => e.message),
    children: entity.children.array().map(toPlain),
  };
}

/** Vitest tags an error thrown or rejected during a test with the test's file and name. */
function plainUnhandled(error) {
  return {
    type: error.type,
    message: error.message,
    file: error.VITEST_TEST_PATH && relative(process.cwd(), error.VITEST_TEST_PATH),
    test: error.VITEST_TEST_NAME,
  };
}
