import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/**
 * A code block of a page that the tests take: a ```js or ```ts block, with the ```text block that
 * follows it (its expected output), if any. Every ts block is type-checked against the built
 * package. Every block runs, except one marked ```ts no_run (it needs what a test does not have,
 * such as a real remote server): that one is only type-checked.
 */
interface Example {
  lang: 'js' | 'ts';
  code: string;
  run: boolean;
  output: string | undefined;
}

function examples(markdown: string): Example[] {
  const blocks = [...markdown.matchAll(/```(\w+)([^\n]*)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1],
    attributes: (m[2] ?? '').trim().split(/\s+/),
    body: m[3] ?? '',
  }));
  const found: Example[] = [];
  blocks.forEach((block, i) => {
    if (block.lang !== 'js' && block.lang !== 'ts') return;
    const next = blocks[i + 1];
    found.push({
      lang: block.lang,
      code: block.body,
      run: !block.attributes.includes('no_run'),
      output: next?.lang === 'text' ? next.body : undefined,
    });
  });
  return found;
}

const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
].map((page) => ({ page, examples: examples(readFileSync(join(root, page), 'utf8')) }));

/**
 * The ts blocks' type errors (in `docs/page.md.example-N.ts`). The blocks are files of one
 * program, each a module of its own, placed in the package's directory so that `esmtp` resolves
 * to the built package as it does for a user.
 */
function typeErrors(): string[] {
  const files = new Map<string, string>();
  for (const { page, examples: found } of pages)
    found.forEach((example, i) => {
      if (example.lang === 'ts') files.set(join(root, `${page}.example-${i + 1}.ts`), example.code);
    });
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    moduleDetection: ts.ModuleDetectionKind.Force,
    lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name) ?? readFile.call(host, name);
  host.getSourceFile = (name, language, ...rest) => {
    const text = files.get(name);
    if (text !== undefined) return ts.createSourceFile(name, text, language);
    return getSourceFile.call(host, name, language, ...rest);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const paths = {
    getCanonicalFileName: (f: string) => f,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  };
  return ts.getPreEmitDiagnostics(program).map((d) => ts.formatDiagnostic(d, paths).trim());
}

/** The block as JavaScript: a ts block with its types stripped. */
function javascript(example: Example): string {
  if (example.lang === 'js') return example.code;
  return ts.transpileModule(example.code, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
}

describe('the examples in README.md and docs/ run against the built package', () => {
  it('README.md has examples to run', () => {
    expect(pages[0]?.examples.length).toBeGreaterThan(0);
  });

  it('the ts examples type-check', () => {
    expect(typeErrors()).toEqual([]);
  }, 30_000);

  for (const { page, examples: found } of pages) {
    found.forEach((example, i) => {
      if (!example.run) return;
      const shows = example.output === undefined ? '' : ' and prints what the page shows';
      it(`${page} example ${i + 1} runs${shows}`, () => {
        const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', javascript(example)], {
          cwd: root,
          encoding: 'utf8',
          timeout: 30_000,
        });
        // Replies end in CRLF on the wire; the pages show them as lines.
        if (example.output !== undefined) expect(stdout.replace(/\r\n/g, '\n')).toBe(example.output);
      }, 30_000); // as long as the child may take: a block that loads a mail library takes seconds on a busy machine
    });
  }
});
