import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // `esmtp`, and the pure subpaths `esmtp/protocol` and `esmtp/sasl`. Splitting in both formats
    // puts the code the entries share in common chunks, so that `LineReader` from `esmtp` and from
    // `esmtp/protocol` is one class, in ESM and in CommonJS alike.
    entry: { index: 'src/index.ts', protocol: 'src/protocol/index.ts', sasl: 'src/sasl/index.ts' },
    format: ['esm', 'cjs'],
    splitting: true,
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
  },
  {
    // `esmtp/web`: one self-contained ES module, for runtimes without Node (Deno, Workers), which
    // load it as one file (a Worker lists each module it has). It shares no chunk with `esmtp`:
    // errors still match across the two (`instanceof` goes by a brand), classes do not.
    entry: { web: 'src/web.ts' },
    format: ['esm'],
    platform: 'neutral',
    dts: true,
    sourcemap: true,
    target: 'es2022',
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    // The catcher's MIME parser goes into the command only: the library keeps no dependencies.
    noExternal: ['postal-mime'],
    // The catcher's page (src/cli/catcher/page/) is plain files, bundled as text.
    loader: { '.html': 'text', '.css': 'text', '.page.js': 'text' },
    banner: { js: '#!/usr/bin/env node' },
    sourcemap: true,
    target: 'node20',
  },
]);
