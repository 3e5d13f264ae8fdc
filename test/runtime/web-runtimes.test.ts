import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterEach, expect, it } from 'vitest';
import { SmtpServer } from '../../src/server/smtp-server.js';
import { testCertificates } from '../helpers/certs.js';
import { describeWithPeer, findProgram } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { readAll } from '../helpers/server.js';

// esmtp/web (the built dist/web.js) on the runtimes without Node, each pinned in devDependencies
// (else found on the PATH), sending to a server of this package over STARTTLS and AUTH PLAIN.
const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const here = import.meta.dirname;
const bin = (name: string) => findProgram([join(root, 'node_modules', '.bin', name), name]);
const certs = testCertificates();
const dir = mkdtempSync(join(tmpdir(), 'esmtp-web-'));
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, certs.ca);

interface Arrived {
  from: string | undefined;
  to: string[];
  body: string;
  secure: boolean;
  user: string | undefined;
}

const servers: SmtpServer[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill();
  for (const server of servers.splice(0)) await server.close({ timeout: 200 });
});

/** A submission server: STARTTLS and AUTH PLAIN required; it keeps what arrives. */
async function submissionServer(): Promise<{ port: number; arrived: Arrived[] }> {
  const arrived: Arrived[] = [];
  const server = new SmtpServer({
    hostname: 'localhost',
    tls: certs.localhost,
    requireTls: true,
    requireAuth: true,
    auth: {
      mechanisms: ['PLAIN'],
      authenticate: (c) => c.username === 'alice' && 'password' in c && c.password === 's3cret',
    },
    async onData(message, envelope, session) {
      arrived.push({
        from: envelope.from?.address,
        to: envelope.recipients.map((r) => r.address.address),
        body: (await readAll(message)).toString('utf8'),
        secure: session.secure,
        user: session.user,
      });
    },
  });
  servers.push(server);
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  return { port, arrived };
}

describeWithPeer('Deno, without Node compatibility', bin('deno'), (deno) => {
  it('sends with STARTTLS and AUTH PLAIN through Deno.connect and Deno.startTls', {
    timeout: 30_000,
  }, async () => {
    const { port, arrived } = await submissionServer();
    const { stdout } = await run(
      deno,
      [
        'run',
        '--no-config',
        '--no-lock',
        '--allow-net=127.0.0.1',
        `--allow-read=${join(root, 'dist', 'web.js')},${caFile}`,
        join(here, 'deno-send.mjs'),
        String(port),
        caFile,
      ],
      { timeout: 20_000, env: { ...process.env, DENO_DIR: join(dir, 'deno'), NO_COLOR: '1' } },
    );
    expect(JSON.parse(stdout)).toEqual({ secure: true, authenticated: true, accepted: ['bob@example.org'] });
    expect(arrived).toEqual([
      {
        from: 'alice@example.com',
        to: ['bob@example.org'],
        body: 'Subject: Deno\r\n\r\nsent from Deno\r\n',
        secure: true,
        user: 'alice',
      },
    ]);
  });
});

/** GET `url`, retried while nothing listens yet, for at most 100 tries 100 ms apart. */
async function getWhenUp(url: string, child: ChildProcess, log: () => string): Promise<Response> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}: ${log()}`);
    try {
      return await fetch(url, { signal: AbortSignal.timeout(15_000) });
    } catch (error) {
      if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`workerd did not listen within 10 s: ${log()}`);
}

/** Serves `config` (in ./workerd, with `dir` as its import path) and GETs `query` from its Worker. */
async function askWorker(workerd: string, config: string, query: string): Promise<unknown> {
  const http = await freePort();
  const child = spawn(
    workerd,
    ['serve', join(here, 'workerd', config), `--import-path=${dir}`, `--socket-addr=http=127.0.0.1:${http}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let log = '';
  child.stdout?.on('data', (chunk) => {
    log += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    log += chunk;
  });
  const response = await getWhenUp(`http://127.0.0.1:${http}/${query}`, child, () => log);
  return response.json();
}

describeWithPeer('workerd', bin('workerd'), (workerd) => {
  it('with nodejs_compat off, runs the pure layers and sends with STARTTLS and AUTH PLAIN through cloudflare:sockets', {
    timeout: 30_000,
  }, async () => {
    const { port, arrived } = await submissionServer();
    // The Worker's outbound network trusts the test CA, read from the import path.
    writeFileSync(join(dir, 'esmtp-test-ca.pem'), certs.ca);
    expect(await askWorker(workerd, 'config.capnp', `?port=${port}`)).toEqual({
      protocol: {
        command: 'MAIL FROM:<alice@example.com> SIZE=1000',
        reply: [250, 'mx.example', 'SIZE 1000'],
      },
      sasl: 'alice',
      session: [220, 250, 250, 250, 354, 250, 221],
      send: { secure: true, authenticated: true, accepted: ['bob@example.org'] },
    });
    expect(arrived).toEqual([
      {
        from: 'alice@example.com',
        to: ['bob@example.org'],
        body: 'Subject: Workers\r\n\r\nsent from workerd\r\n',
        secure: true,
        user: 'alice',
      },
    ]);
  });

  it('with nodejs_compat on, SmtpServer.listen() fails with EUNSUPPORTED instead of listening on nothing', {
    timeout: 30_000,
  }, async () => {
    // esmtp as one module: a Worker lists every module it has, and dist/index.js has chunks.
    await build({
      entryPoints: [join(root, 'dist', 'index.js')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: join(dir, 'esmtp.js'),
      logLevel: 'silent',
    });
    expect(await askWorker(workerd, 'listen.capnp', '')).toEqual({
      name: 'EsmtpError',
      code: 'EUNSUPPORTED',
      message: expect.stringMatching(/server\.handle\(transport\)/),
    });
  });
});
