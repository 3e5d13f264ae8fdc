import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/** Each ```js block of a page, with the ```text block that follows it (its expected output), if any. */
function readmeExamples(markdown: string): { code: string; output: string | undefined }[] {
  const blocks = [...markdown.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1],
    body: m[2] ?? '',
  }));
  const examples: { code: string; output: string | undefined }[] = [];
  blocks.forEach((block, i) => {
    if (block.lang !== 'js') return;
    const next = blocks[i + 1];
    examples.push({ code: block.body, output: next?.lang === 'text' ? next.body : undefined });
  });
  return examples;
}

const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('the examples in README.md and docs/ run against the built package', () => {
  it('README.md has examples to run', () => {
    expect(readmeExamples(readFileSync(join(root, 'README.md'), 'utf8')).length).toBeGreaterThan(0);
  });

  for (const page of pages) {
    readmeExamples(readFileSync(join(root, page), 'utf8')).forEach(({ code, output }, i) => {
      it(`${page} example ${i + 1} runs${output === undefined ? '' : ' and prints what the page shows'}`, () => {
        const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
          cwd: root,
          encoding: 'utf8',
        });
        // Replies end in CRLF on the wire; the pages show them as lines.
        if (output !== undefined) expect(stdout.replace(/\r\n/g, '\n')).toBe(output);
      });
    });
  }
});
