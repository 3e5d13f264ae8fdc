import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/** For a test of examples/ that is itself a vitest test file, run as a user runs it. */
export default defineConfig({
  // Its cache with the project's, not in a node_modules/ of its own in examples/.
  cacheDir: join(import.meta.dirname, '..', '..', 'node_modules', '.vite-examples'),
  test: { include: ['*.test.ts'] },
});
