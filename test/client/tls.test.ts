import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import { scramKeys } from '../../src/sasl/scram.js';
import type { SmtpServerOptions } from '../../src/server/options.js';
import type { SmtpServer } from '../../src/server/smtp-server.js';
import { testCertificates } from '../helpers/certs.js';
import { errorOf } from '../helpers/error-of.js';
import { collectingServer } from '../helpers/server.js';

const certs = testCertificates();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function start(options: SmtpServerOptions = {}) {
  const { server, delivered } = collectingServer({ tls: certs.localhost, ...options });
  const { port } = await server.listen();
  cleanups.push(() => server.close({ timeout: 200 }));
  return { server: server as SmtpServer, delivered, port };
}

describe('STARTTLS and AUTH against SmtpServer over TCP', () => {
  it("tls: 'required' upgrades, verifies the certificate, asks EHLO again, and authenticates with SCRAM-SHA-256", async () => {
    const keys = await scramKeys('s3cret', { iterations: 4096 });
    const { delivered, port } = await start({
      requireTls: true,
      requireAuth: true,
      auth: {
        scramKeys: (u) => (u === 'alice' ? keys : undefined),
        authenticate: () => true,
        failureDelay: 0,
      },
    });
    const client = await SmtpClient.connect(`smtp://localhost:${port}`, {
      tls: 'required',
      tlsOptions: { ca: certs.ca },
      auth: { username: 'alice', password: 's3cret' },
    });
    expect(client.secure).toBe(true);
    expect(client.authenticated).toBe(true);
    expect(client.capabilities.auth).toContain('SCRAM-SHA-256');
    const result = await client.send(
      { from: 'alice@example.com', to: ['bob@example.org'] },
      'Subject: tls\r\n\r\nsecret\r\n',
    );
    expect(result.accepted).toEqual(['bob@example.org']);
    expect(delivered.at(-1)?.body).toBe('Subject: tls\r\n\r\nsecret\r\n');
    await client.quit();
  });

  it('verifies certificates and names by default: an expired or wrong-name certificate is ETLS', async () => {
    for (const pair of [certs.expired, certs.wrongName]) {
      const { port } = await start({ tls: pair });
      const error = await errorOf(
        SmtpClient.connect(`smtp://localhost:${port}`, { tls: 'required', tlsOptions: { ca: certs.ca } }),
      );
      expect(error.code).toBe('ETLS');
    }
    const { port } = await start({ tls: certs.wrongName });
    const lax = await SmtpClient.connect(`smtp://localhost:${port}`, {
      tls: 'required',
      tlsOptions: { ca: certs.ca, rejectUnauthorized: false },
    });
    expect(lax.secure).toBe(true);
    lax.close();
  });

  it('smtps:// is implicit TLS', async () => {
    const { port } = await start({ secure: true });
    const client = await SmtpClient.connect(`smtps://localhost:${port}`, { tlsOptions: { ca: certs.ca } });
    expect(client.secure).toBe(true);
    expect(client.capabilities.startTls).toBe(false);
    await client.quit();
  });

  it('a refused connection is ECONNECTION', async () => {
    const { server } = collectingServer();
    const { port } = await server.listen();
    await server.close();
    expect((await errorOf(SmtpClient.connect(`smtp://127.0.0.1:${port}`, { tls: 'none' }))).code).toBe(
      'ECONNECTION',
    );
  });
});

describe('response injection (NO STARTTLS, USENIX Security 2021)', () => {
  it('bytes the server sent after its 220 to STARTTLS, before the handshake, are discarded', async () => {
    const server: Server = createServer((plain: Socket) => {
      let stage = 0;
      plain.on('data', (data) => {
        const text = String(data);
        if (stage === 0 && text.startsWith('EHLO')) {
          stage = 1;
          plain.write('250-injector.example\r\n250 STARTTLS\r\n');
        } else if (stage === 1 && text.startsWith('STARTTLS')) {
          stage = 2;
          // The injected reply rides along with the 220, in the same write, in cleartext.
          plain.write('220 go ahead\r\n250-injected.example\r\n250 AUTH PLAIN\r\n');
          plain.removeAllListeners('data');
          const secure = new TLSSocket(plain, {
            isServer: true,
            key: certs.localhost.key,
            cert: certs.localhost.cert,
          });
          secure.on('data', (d) => {
            if (String(d).startsWith('EHLO')) secure.write('250-real.example\r\n250 X-REAL\r\n');
            else if (String(d).startsWith('QUIT')) secure.end('221 bye\r\n');
          });
        }
      });
      plain.write('220 injector.example ESMTP\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const client = await SmtpClient.connect(`smtp://localhost:${port}`, {
      tls: 'required',
      tlsOptions: { ca: certs.ca },
    });
    expect(client.capabilities.other.has('X-REAL')).toBe(true);
    expect(client.capabilities.auth).toEqual([]);
    await client.quit();
  });
});
