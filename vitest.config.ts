import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Integration tests start real brokers and databases; one file at a time keeps a
    // 2-core machine from starving them (tests assert behaviour, not speed).
    fileParallelism: false,
    pool: 'forks',
  },
});
