import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEhloReply } from '../../src/protocol/ehlo.js';
import { SmtpError } from '../../src/protocol/errors.js';
import type { SmtpServerOptions } from '../../src/server/options.js';
import type { SmtpServer } from '../../src/server/smtp-server.js';
import { testCertificates } from '../helpers/certs.js';
import { code } from '../helpers/raw-client.js';
import { collectingServer } from '../helpers/server.js';
import { SocketClient } from '../helpers/tls-client.js';

const certs = testCertificates();
const servers: SmtpServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ timeout: 200 })));
});

async function start(options: SmtpServerOptions = {}): Promise<{ server: SmtpServer; port: number }> {
  const { server } = collectingServer({
    tls: { key: certs.localhost.key, cert: certs.localhost.cert },
    ...options,
  });
  servers.push(server);
  const { port } = await server.listen();
  return { server, port };
}

/** Connects, says EHLO, STARTTLS, and completes the handshake trusting the test CA. */
async function secured(port: number): Promise<SocketClient> {
  const client = await SocketClient.connect(port);
  await client.reply();
  await client.command('EHLO client.example');
  expect(code(await client.command('STARTTLS'))).toBe('220 2.0.0');
  await client.startTls({ ca: certs.ca, servername: 'localhost' });
  return client;
}

describe('STARTTLS (RFC 3207)', () => {
  it('4: offered in EHLO only with certificates and before TLS; after it, not again', async () => {
    const { port } = await start();
    const client = await SocketClient.connect(port);
    await client.reply();
    expect(parseEhloReply(await client.command('EHLO c.example')).capabilities.startTls).toBe(true);
    expect(code(await client.command('STARTTLS'))).toBe('220 2.0.0');
    await client.startTls({ ca: certs.ca, servername: 'localhost' });
    expect(client.tlsSocket.authorized).toBe(true);
    expect(parseEhloReply(await client.command('EHLO c.example')).capabilities.startTls).toBe(false);
    expect(code(await client.command('STARTTLS'))).toBe('503 5.5.1');
  });

  it('4: STARTTLS with an argument gives 501; without certificates, 502', async () => {
    const { port } = await start();
    const client = await SocketClient.connect(port);
    await client.reply();
    await client.command('EHLO c.example');
    expect(code(await client.command('STARTTLS now'))).toBe('501 5.5.4');
    const { server } = collectingServer();
    servers.push(server);
    const plain = await SocketClient.connect((await server.listen()).port);
    await plain.reply();
    expect(parseEhloReply(await plain.command('EHLO c.example')).capabilities.startTls).toBe(false);
    expect(code(await plain.command('STARTTLS'))).toBe('502 5.5.1');
  });

  it('6: commands sent with STARTTLS in one write are discarded; nothing is answered inside TLS until the client speaks', async () => {
    const { port } = await start();
    const client = await SocketClient.connect(port);
    await client.reply();
    await client.command('EHLO c.example');
    client.send('STARTTLS\r\nRSET\r\nMAIL FROM:<injected@example.com>\r\n');
    expect(code(await client.reply())).toBe('220 2.0.0');
    await client.startTls({ ca: certs.ca, servername: 'localhost' });
    await new Promise((r) => setTimeout(r, 200));
    expect(client.received).toBe('');
    // 4.2: all state is forgotten: the client must say EHLO again.
    expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('503');
    expect(code(await client.command('EHLO c.example'))).toBe('250');
    expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('250 2.1.0');
  });

  it('a failed handshake closes the connection; no cleartext is read after STARTTLS', async () => {
    const { port } = await start();
    const client = await SocketClient.connect(port);
    await client.reply();
    await client.command('EHLO c.example');
    expect(code(await client.command('STARTTLS'))).toBe('220 2.0.0');
    const before = client.received;
    client.send('EHLO still.cleartext\r\n');
    await client.closed();
    expect(client.received).toBe(before);
  });

  it('the hooks see TLS on the session', async () => {
    const seen: unknown[] = [];
    const { port } = await start({
      onMailFrom(_from, _params, session) {
        seen.push([session.secure, session.tls?.protocol?.startsWith('TLSv1.'), session.tls?.authorized]);
      },
    });
    const client = await secured(port);
    await client.command('EHLO c.example');
    await client.command('MAIL FROM:<a@example.com>');
    expect(seen).toEqual([[true, true, false]]);
  });
});

describe('certificates', () => {
  it('a client verifying the name and date accepts the localhost certificate and refuses the others', async () => {
    for (const [pair, expected] of [
      [certs.localhost, undefined],
      [certs.expired, 'CERT_HAS_EXPIRED'],
      [certs.wrongName, 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ] as const) {
      const { port } = await start({ tls: pair });
      const client = await SocketClient.connect(port);
      await client.reply();
      await client.command('EHLO c.example');
      await client.command('STARTTLS');
      const error = await client.startTls({ ca: certs.ca, servername: 'localhost' }).then(
        () => undefined,
        (e: NodeJS.ErrnoException) => e.code,
      );
      expect(error).toBe(expected);
    }
  });

  it('SNI: a map of names to certificates; unknown names get the default', async () => {
    const { port } = await start({ tls: { ...certs.localhost, sni: { 'other.example': certs.other } } });
    for (const [name, cn] of [
      ['other.example', 'other.example'],
      ['localhost', 'localhost'],
    ]) {
      const client = await SocketClient.connect(port);
      await client.reply();
      await client.command('EHLO c.example');
      await client.command('STARTTLS');
      await client.startTls({ ca: certs.ca, servername: name as string });
      expect(client.tlsSocket.getPeerCertificate().subject.CN).toBe(cn);
      client.end();
    }
  });

  it('SNI: a callback', async () => {
    const { port } = await start({
      tls: { ...certs.localhost, sni: (name) => (name === 'other.example' ? certs.other : undefined) },
    });
    const client = await SocketClient.connect(port);
    await client.reply();
    await client.command('EHLO c.example');
    await client.command('STARTTLS');
    await client.startTls({ ca: certs.ca, servername: 'other.example' });
    expect(client.tlsSocket.getPeerCertificate().subject.CN).toBe('other.example');
  });

  it('updateSecureContext swaps the certificate without a restart', async () => {
    const { server, port } = await start({ tls: certs.wrongName });
    server.updateSecureContext(certs.localhost);
    const client = await secured(port);
    expect(client.tlsSocket.getPeerCertificate().subject.CN).toBe('localhost');
  });

  it('TLS 1.2 is the minimum by default', async () => {
    const { port } = await start();
    const client = await SocketClient.connect(port);
    await client.reply();
    await client.command('EHLO c.example');
    await client.command('STARTTLS');
    const outcome = await client
      .startTls({ ca: certs.ca, servername: 'localhost', minVersion: 'TLSv1', maxVersion: 'TLSv1.1' })
      .then(
        () => 'connected',
        () => 'refused',
      );
    expect(outcome).toBe('refused');
  });

  it('client certificates are requested on demand and shown to the hooks', async () => {
    const seen: unknown[] = [];
    const { port } = await start({
      tls: { ...certs.localhost, ca: certs.ca, requestCert: true },
      onHelo(_name, session) {
        seen.push([session.tls?.peerCertificate?.subject.CN, session.tls?.authorized]);
      },
    });
    const client = await SocketClient.connect(port);
    await client.reply();
    await client.command('EHLO c.example');
    await client.command('STARTTLS');
    await client.startTls({
      ca: certs.ca,
      servername: 'localhost',
      key: certs.client.key,
      cert: certs.client.cert,
    });
    await client.command('EHLO c.example');
    expect(seen).toEqual([
      [undefined, undefined],
      ['client.example', true],
    ]);
    // An expired certificate is shown too, but not as authorized.
    const other = await SocketClient.connect(port);
    await other.reply();
    await other.command('STARTTLS');
    await other.startTls({ ca: certs.ca, servername: 'localhost', ...certs.expired });
    await other.command('EHLO c.example');
    expect(seen.at(-1)).toEqual(['localhost', false]);
  });
});

describe('implicit TLS (RFC 8314)', () => {
  it('secure: true greets inside TLS and offers no STARTTLS', async () => {
    const { port } = await start({ secure: true });
    const client = await SocketClient.connectTls(port, { ca: certs.ca, servername: 'localhost' });
    expect((await client.reply()).code).toBe(220);
    const caps = parseEhloReply(await client.command('EHLO c.example')).capabilities;
    expect(caps.startTls).toBe(false);
    expect(caps.requireTls).toBe(true);
  });

  it('a cleartext client on the implicit TLS port is closed without a greeting', async () => {
    const { port } = await start({ secure: true });
    const client = await SocketClient.connect(port);
    client.send('EHLO cleartext\r\n');
    await client.closed();
    expect(client.received).toBe('');
  });

  it('a plain tls.connect client can send mail', async () => {
    const { port } = await start({ secure: true });
    const socket = tlsConnect({ port, host: '127.0.0.1', ca: certs.ca, servername: 'localhost' });
    const greeting = await new Promise<string>((resolve) => socket.once('data', (d) => resolve(String(d))));
    expect(greeting).toMatch(/^220 /);
    socket.destroy();
  });
});

describe('requireTls (RFC 3207 4)', () => {
  it('MAIL, RCPT, DATA, BDAT and AUTH before STARTTLS give 530 5.7.0; EHLO, NOOP, RSET and QUIT work', async () => {
    const { port } = await start({ requireTls: true, auth: { authenticate: () => true } });
    const client = await SocketClient.connect(port);
    await client.reply();
    expect(code(await client.command('EHLO c.example'))).toBe('250');
    for (const line of [
      'MAIL FROM:<a@example.com>',
      'RCPT TO:<b@example.org>',
      'DATA',
      'AUTH PLAIN AGEAYg==',
    ]) {
      expect(code(await client.command(line)), line).toBe('530 5.7.0');
    }
    client.send('BDAT 4\r\nQUIT');
    expect(code(await client.reply())).toBe('530 5.7.0');
    expect(code(await client.command('NOOP'))).toBe('250 2.0.0');
    expect(code(await client.command('RSET'))).toBe('250 2.0.0');
    await client.command('STARTTLS');
    await client.startTls({ ca: certs.ca, servername: 'localhost' });
    await client.command('EHLO c.example');
    expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('250 2.1.0');
    expect(code(await client.command('QUIT'))).toBe('221 2.0.0');
  });

  it('the old spelling requireTLS is refused when the server is made, not silently ignored', async () => {
    const old = { requireTLS: true } as unknown as SmtpServerOptions;
    await expect(start(old)).rejects.toThrow(/requireTLS is now requireTls/);
  });
});

describe('onSecure', () => {
  it('runs after STARTTLS with the TLS details, and may refuse: its reply, then close', async () => {
    const seen: unknown[] = [];
    const { port } = await start({
      onSecure(session) {
        seen.push(session.tls?.protocol);
        if (seen.length > 1) throw new SmtpError(554, '5.7.0', 'not you');
      },
    });
    const client = await secured(port);
    expect(code(await client.command('EHLO c.example'))).toBe('250');
    expect(seen).toEqual(['TLSv1.3']);
    const refused = await secured(port);
    expect(code(await refused.reply())).toBe('554 5.7.0');
    await refused.closed();
  });

  it('runs on implicit TLS before the greeting; a refusal replaces the greeting', async () => {
    const { port } = await start({
      secure: true,
      onSecure() {
        throw new SmtpError(421, '4.7.0', 'come back later');
      },
    });
    const client = await SocketClient.connectTls(port, { ca: certs.ca, servername: 'localhost' });
    expect(code(await client.reply())).toBe('421');
    await client.closed();
  });
});
