import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules, isBuiltin } from 'node:module';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
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
        'ServerSession SmtpClient SmtpError SmtpPool SmtpServer deliver encodeReply formatCommand',
        'formatPath memoryPair mxMatchesPolicy parseCommand parseCommandLine parseMailbox',
        'parseMtaStsPolicy parseMtaStsRecord parsePath planEnvelope relayPolicy reply scramKeys',
      ].join(' '),
      [
        'BdatChunk DotStuffer DotUnstuffer EsmtpError LineEndNormalizer LineReader ProxyHeaderError',
        'ProxyHeaderReader Replies ReplyParser SmtpError decodeXtext emptyCapabilities encodeReply',
        'encodeXtext findMtaStsRecord formatCommand formatEhloReply formatMailParameters formatPath',
        'formatProxyHeader formatRcptParameters isEnhancedCode isPositive mxMatchesPolicy parseCommand',
        'parseCommandLine parseEhloReply parseMailParameters parseMailbox parseMtaStsPolicy',
        'parseMtaStsRecord parsePath parseRcptParameters reply replyText',
      ].join(' '),
      [
        'SCRAM_MAX_ITERATIONS XOAUTH2_FAILURE cramMd5Client cramMd5Server decodeBase64 encodeBase64',
        'hmacMd5 loginClient loginServer md5 plainClient plainServer scramClient scramKeys scramServer',
        'xoauth2Client xoauth2Server',
      ].join(' '),
    ]);
  });

  it('esmtp/web exports all of esmtp/protocol and esmtp/sasl, the sessions, the client and the transports', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `const web = Object.keys(await import('esmtp/web'));
       const pure = [...Object.keys(await import('esmtp/protocol')), ...Object.keys(await import('esmtp/sasl'))];
       console.log(pure.filter((name) => !web.includes(name)).join(' ') || '-');
       console.log(web.filter((name) => !pure.includes(name)).sort().join(' '));`,
    ]);
    expect(out.trim().split('\n')).toEqual([
      '-',
      'ClientSession ServerSession SmtpClient WebStreamsTransport connectCloudflare connectDeno memoryPair planEnvelope',
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
  // Not a word inside a string ("from", as the catcher's bundled parser has): a keyword of code.
  const found = code.matchAll(/(?<!["'\w.])(?:from|import|require)\s*\(?\s*["']([^"']+)["']/g);
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

  it("esmtp imports no package, not even the mail libraries of the examples; postal-mime, the catcher's parser, is bundled into the command only", () => {
    for (const entry of ['index.js', 'index.cjs', 'protocol.js', 'sasl.js', 'cli.js']) {
      const reached = [...closure(entry).values()].flatMap(specifiers);
      expect(reached.length, entry).toBeGreaterThan(0);
      const packages = reached.filter((s) => !s.startsWith('./') && !isBuiltin(s));
      expect(packages, entry).toEqual([]);
    }
    expect(readFileSync(join(root, 'dist', 'cli.js'), 'utf8')).toContain('PostalMime');
  });

  it('dist/web.js is one file that imports nothing', () => {
    expect(specifiers(readFileSync(join(root, 'dist/web.js'), 'utf8'))).toEqual([]);
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

/** Fails a bundle on any import of a Node built-in, `node:` or bare. */
const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(bundle) {
    const builtin = new RegExp(`^(node:.*|${builtinModules.map((m) => m.replace('/', '\\/')).join('|')})$`);
    bundle.onResolve({ filter: builtin }, (args) => ({
      errors: [{ text: `${args.importer} imports the Node module ${args.path}` }],
    }));
  },
};

/** Bundles a program that imports `entry`, as for a runtime that has no Node built-ins. */
async function bundleNeutral(entry: string): Promise<string> {
  const result = await build({
    stdin: { contents: `export * from '${entry}';`, resolveDir: root, loader: 'js' },
    bundle: true,
    platform: 'neutral',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    plugins: [noNodeBuiltins],
  });
  return result.outputFiles[0]?.text ?? '';
}

describe('the pure entry points run where Node does not', () => {
  for (const entry of ['esmtp/protocol', 'esmtp/sasl', 'esmtp/web']) {
    it(`${entry} bundles with platform: 'neutral' and no Node built-in`, async () => {
      expect((await bundleNeutral(entry)).length).toBeGreaterThan(1000);
    });
  }

  it('the same bundle fails for esmtp, which imports Node modules', async () => {
    await expect(bundleNeutral('esmtp')).rejects.toThrow(/imports the Node module (node:)?\w+/);
  });

  it('a consumer of each entry type-checks without @types/node and with skipLibCheck: false', () => {
    // test/runtime/consumer/: protocol.ts, sasl.ts and web.ts, each importing one entry.
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', 'test/runtime/consumer/tsconfig.json'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  }, 60_000);
});
