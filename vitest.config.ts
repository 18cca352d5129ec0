import { defineConfig } from 'vitest/config';

// With real servers (DATABASE_URL set) every test file gets its own database and files run in parallel.
// Embedded, all files share one PGlite session (pglite-socket multiplexes one backend), so they run one
// at a time and each file truncates what it uses.
const realDatabase = Boolean(process.env.DATABASE_URL);

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    fileParallelism: realDatabase,
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 90_000,
    reporters: ['default', './tests/support/summary-reporter.ts'],
  },
});
