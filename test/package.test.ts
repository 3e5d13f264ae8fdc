import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
}

describe('the built package', () => {
  it('has been built (npm test builds it first)', () => {
    expect(existsSync(join(root, 'dist/index.js')), 'run `npm run build`').toBe(true);
  });

  it("loads with import('esmtp')", () => {
    const out = node([
      '--input-type=module',
      '-e',
      "const m = await import('esmtp'); console.log(typeof m.parseCommand, typeof m.SmtpError)",
    ]);
    expect(out.trim()).toBe('function function');
  });

  it("loads with require('esmtp')", () => {
    const out = node([
      '-e',
      "const m = require('esmtp'); console.log(typeof m.parseCommand, m.parseCommand('RSET').verb)",
    ]);
    expect(out.trim()).toBe('function RSET');
  });

  it('bin.esmtp runs: without a command it prints usage and exits 2', () => {
    const result = spawnSync(process.execPath, [join(root, pkg.bin.esmtp)], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/usage: esmtp <command>/);
    const help = spawnSync(process.execPath, [join(root, pkg.bin.esmtp), '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
  });

  it('has no runtime dependencies', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
  });
});

describe('the pure layers stay pure (DESIGN.md: imports point down)', () => {
  const pure = ['src/protocol', 'src/sasl', 'src/session'].filter((dir) => existsSync(join(root, dir)));
  const forbidden = [
    /from ['"]node:/,
    /require\(/,
    /\bBuffer\b/,
    /\bprocess\./,
    /\bset(Timeout|Interval|Immediate)\(/,
    /\bDate\.now\(|new Date\(/,
    /\bperformance\./,
    /from ['"]\.\.\/(transport|server|client|cli)\//,
  ];
  for (const dir of pure) {
    for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts'))) {
      it(`${dir}/${file} uses no Node API, timer or clock`, () => {
        const source = readFileSync(join(root, dir, file), 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/\/\/.*$/gm, '');
        for (const pattern of forbidden) expect(source, String(pattern)).not.toMatch(pattern);
      });
    }
  }
});
