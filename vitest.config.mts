import { defineConfig } from 'vitest/config';

// One run, two suites: fast unit tests (no network, no clock) and end-to-end tests that start
// real programs on loopback. The e2e suite runs its files one at a time: they share ports ranges,
// podman storage and the 2-core machine, and their timings are easier to read in sequence.
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
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
