import { defineConfig } from 'vitest/config';

// One run, three suites: fast unit tests (no network, no clock); harness tests, which check the
// test infrastructure itself (the container tooling, the registries and doubles the e2e tests use)
// and are counted apart from the product's tests; and end-to-end tests that start real programs on
// loopback. Harness and e2e files run one at a time: they share port ranges, podman storage and the
// 2-core machine, and their timings are easier to read in sequence.
const slowSuite = { environment: 'node', fileParallelism: false, testTimeout: 180_000, hookTimeout: 180_000 } as const;

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tools/deploy-plugin/test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/unit/**/*.test.ts'],
          environment: 'node',
          // Some unit tests start the built servers as processes: give a loaded 2-core machine room.
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      { test: { name: 'harness', include: ['test/harness/**/*.test.ts'], ...slowSuite } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...slowSuite } },
    ],
  },
});
