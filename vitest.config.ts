import { defineConfig } from 'vitest/config';
import { testFiles, type Suite } from './test/suites.ts';

const suite = process.env.HUB_TEST_SUITE as Suite;
if (suite !== undefined && suite !== 'clock-ahead' && suite !== 'rest') throw new Error(`HUB_TEST_SUITE must be clock-ahead or rest, not ${suite}`);
const files = testFiles(import.meta.dirname, suite);

export default defineConfig({
  test: {
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      // Pure logic: two files at a time, before anything starts a service.
      { extends: true, test: { name: 'quick', include: files.quick.length ? files.quick : ['-none-'], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      // Integration tests start real brokers, databases and browsers; one file at a time keeps a
      // 2-core machine from starving them (tests assert behaviour, not speed).
      { extends: true, test: { name: 'services', include: files.services.length ? files.services : ['-none-'], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
