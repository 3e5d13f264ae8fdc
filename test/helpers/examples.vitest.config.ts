import { defineConfig } from 'vitest/config';

/** For a test of examples/ that is itself a vitest test file, run as a user runs it. */
export default defineConfig({ test: { include: ['*.test.ts'] } });
