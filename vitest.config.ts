import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vitest/config';

/** The catcher's page files as text, as tsup.config.ts bundles them, for tests that import src/. */
const pageAsText: Plugin = {
  name: 'catcher-page-as-text',
  enforce: 'pre',
  async resolveId(source, importer) {
    if (!/\/page\/[\w.-]+\.(html|css|page\.js)$/.test(source)) return null;
    const resolved = await this.resolve(source, importer, { skipSelf: true });
    return resolved === null ? null : `${resolved.id}.as-text`;
  },
  load(id) {
    if (!id.endsWith('.as-text')) return null;
    return `export default ${JSON.stringify(readFileSync(id.slice(0, -'.as-text'.length), 'utf8'))};`;
  },
};

export default defineConfig({
  plugins: [pageAsText],
  test: {
    include: ['test/**/*.test.ts'],
    // Many tests run real processes and peers on two cores: a test stopped at 5 s under load says
    // nothing about esmtp. Every wait inside a test has its own bound; this one only ends a hang.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: {
        'src/protocol/**': { lines: 95 },
      },
    },
  },
});
