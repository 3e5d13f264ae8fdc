import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
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

  it("loads the subpaths with import('esmtp/protocol') and import('esmtp/sasl')", () => {
    const out = node([
      '--input-type=module',
      '-e',
      `const protocol = await import('esmtp/protocol');
       const sasl = await import('esmtp/sasl');
       console.log(protocol.parseCommand('RSET').verb, sasl.encodeBase64(new Uint8Array([1, 2, 3])));`,
    ]);
    expect(out.trim()).toBe('RSET AQID');
  });

  it("loads the subpaths with require('esmtp/protocol') and require('esmtp/sasl')", () => {
    const out = node([
      '-e',
      `const protocol = require('esmtp/protocol');
       const sasl = require('esmtp/sasl');
       console.log(protocol.parseCommand('RSET').verb, sasl.encodeBase64(new Uint8Array([1, 2, 3])));`,
    ]);
    expect(out.trim()).toBe('RSET AQID');
  });

  it('exports by name: the values of each entry point, and no internals', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `const names = async (entry) => Object.keys(await import(entry)).sort().join(' ');
       for (const entry of ['esmtp', 'esmtp/protocol', 'esmtp/sasl']) console.log(await names(entry));`,
    ]);
    expect(out.trim().split('\n')).toEqual([
      [
        'ClientSession DotStuffer DotUnstuffer EsmtpError LineReader NodeTransport Replies ReplyParser',
        'ServerSession SmtpClient SmtpError SmtpServer encodeReply formatCommand formatPath memoryPair',
        'parseCommand parseCommandLine parseMailbox parsePath planEnvelope reply scramKeys',
      ].join(' '),
      [
        'BdatChunk DotStuffer DotUnstuffer EsmtpError LineEndNormalizer LineReader Replies ReplyParser',
        'SmtpError decodeXtext emptyCapabilities encodeReply encodeXtext formatCommand formatEhloReply',
        'formatMailParameters formatPath formatRcptParameters isEnhancedCode isPositive parseCommand',
        'parseCommandLine parseEhloReply parseMailParameters parseMailbox parsePath parseRcptParameters',
        'reply replyText',
      ].join(' '),
      [
        'SCRAM_MAX_ITERATIONS XOAUTH2_FAILURE cramMd5Client cramMd5Server decodeBase64 encodeBase64',
        'hmacMd5 loginClient loginServer md5 plainClient plainServer scramClient scramKeys scramServer',
        'xoauth2Client xoauth2Server',
      ].join(' '),
    ]);
  });

  it('shares its classes between esmtp and esmtp/protocol, in each format', () => {
    const esm = node([
      '--input-type=module',
      '-e',
      "const [a, b] = await Promise.all([import('esmtp'), import('esmtp/protocol')]); console.log(a.LineReader === b.LineReader)",
    ]);
    const cjs = node([
      '-e',
      "console.log(require('esmtp').LineReader === require('esmtp/protocol').LineReader)",
    ]);
    expect([esm.trim(), cjs.trim()]).toEqual(['true', 'true']);
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
  const pure = ['src/protocol', 'src/sasl', 'src/session', 'src/session/server'].filter((dir) =>
    existsSync(join(root, dir)),
  );
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

/** The specifiers a built file imports or requires, static and dynamic. */
function specifiers(code: string): string[] {
  const found = code.matchAll(/\b(?:from|import|require)\s*\(?\s*["']([^"']+)["']/g);
  return [...found].map((m) => m[1] as string);
}

/** A built entry and every file of dist/ it reaches through relative imports (its chunks). */
function closure(entry: string): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    const code = readFileSync(join(root, 'dist', file), 'utf8');
    files.set(file, code);
    for (const s of specifiers(code)) if (s.startsWith('./')) visit(s.slice(2));
  };
  visit(entry);
  return files;
}

describe('the built subpaths are pure: they import no Node module', () => {
  for (const entry of ['protocol.js', 'protocol.cjs', 'sasl.js', 'sasl.cjs']) {
    it(`dist/${entry} and its chunks import nothing but each other`, () => {
      const files = closure(entry);
      expect(files.size, 'the entry re-exports its chunks, and the walk reads them').toBeGreaterThan(1);
      for (const [file, code] of files) {
        expect(code, file).not.toMatch(/from\s*["']node:|require\(\s*["']node:|import\(\s*["']node:/);
        expect(code, file).not.toMatch(
          /(?:from|require\(|import\()\s*["'](?:net|tls|crypto|stream|events|buffer|fs)["']/,
        );
        expect(
          specifiers(code).filter((s) => !s.startsWith('./')),
          file,
        ).toEqual([]);
      }
    });
  }

  it("esmtp imports no package: postal-mime, the catcher's parser, is bundled into the command only", () => {
    for (const entry of ['index.js', 'index.cjs', 'protocol.js', 'sasl.js']) {
      const reached = [...closure(entry).values()].flatMap(specifiers);
      const packages = reached.filter((s) => !s.startsWith('./') && !isBuiltin(s));
      expect(packages, entry).toEqual([]);
    }
    const cli = readFileSync(join(root, 'dist', 'cli.js'), 'utf8');
    expect(specifiers(cli).filter((s) => s.includes('postal-mime'))).toEqual([]);
    expect(cli).toContain('PostalMime');
  });

  it('the same check finds the Node modules that dist/index.js reaches (net, bare or node:net)', () => {
    const reached = [...closure('index.js').values()].flatMap(specifiers);
    expect(reached.filter((s) => /^(node:)?net$/.test(s))).not.toEqual([]);
  });
});

describe('both builds in one process (the dual-package hazard)', () => {
  it("an SmtpError from require('esmtp') refuses in a server loaded with import, and errors match across builds", () => {
    const script = `
      import { createRequire } from 'node:module';
      const esm = await import('esmtp');
      const cjs = createRequire(import.meta.url)('esmtp');
      const server = new esm.SmtpServer({
        onRcptTo() { throw new cjs.SmtpError(550, '5.7.1', 'relaying denied'); },
      });
      const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
      const client = await cjs.SmtpClient.connect('smtp://127.0.0.1:' + port, { tls: 'none' });
      let refused;
      try {
        await client.send({ from: 'a@example.com', to: ['b@example.org'] }, 'Subject: x\\r\\n\\r\\nx\\r\\n');
      } catch (error) {
        refused = error;
      }
      await client.quit();
      await server.close();
      console.log(refused.reply.code, refused instanceof esm.EsmtpError, refused instanceof cjs.EsmtpError);
      const plain = new cjs.SmtpError(451, 'x');
      console.log(plain instanceof esm.SmtpError, plain instanceof esm.EsmtpError, new Error('x') instanceof esm.SmtpError);
    `;
    const out = node(['--input-type=module', '-e', script]);
    expect(out.trim().split('\n')).toEqual(['550 true true', 'true false false']);
  });
});
