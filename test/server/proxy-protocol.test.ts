import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProxyHeader, type ProxyHeader } from '../../src/protocol/proxy-header.js';
import type { SessionInfo, SmtpServerOptions } from '../../src/server/options.js';
import type { SmtpServer } from '../../src/server/smtp-server.js';
import { memoryPair } from '../../src/transport/memory.js';
import { testCertificates } from '../helpers/certs.js';
import { code, RawClient } from '../helpers/raw-client.js';
import { collectingServer } from '../helpers/server.js';
import { SocketClient } from '../helpers/tls-client.js';

// The memory transport's server side sees its peer as 127.0.0.1: that is the proxy here.
const PROXY = ['127.0.0.1/32'];
const servers: SmtpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ timeout: 200 })));
});

interface Logged {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

/** A server behind a proxy that records what its hooks saw and what it logged. */
function proxied(options: SmtpServerOptions = {}) {
  const seen: SessionInfo[] = [];
  const logged: Logged[] = [];
  const log = (level: string) => (fields: object, message: string) =>
    logged.push({ level, fields: fields as Record<string, unknown>, message });
  const { server, delivered } = collectingServer({
    proxyProtocol: { trusted: PROXY, timeout: 300 },
    logger: { debug() {}, info: log('info'), warn: log('warn'), error: log('error') },
    onConnect(session) {
      seen.push(session);
    },
    ...options,
  });
  servers.push(server);
  return { server, delivered, seen, logged };
}

const v1 = (client: string, port: number) => `PROXY TCP4 ${client} 192.0.2.25 ${port} 25\r\n`;

function v2(header: Partial<ProxyHeader> = {}): Uint8Array {
  return formatProxyHeader({
    version: 2,
    command: 'PROXY',
    protocol: 'STREAM',
    addresses: {
      family: 'INET6',
      source: { address: '2001:db8::7', port: 40001 },
      destination: { address: '2001:db8::25', port: 25 },
    },
    tlvs: [],
    ...header,
  });
}

/** Waits, within `ms`, until `done()` holds. */
async function until(done: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`still waiting after ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('proxyProtocol: a trusted proxy’s header gives the client’s address', () => {
  it('version 1: the hooks, the logs and the message see the client; session.proxy the proxy', async () => {
    const { server, delivered, seen, logged } = proxied();
    const client = RawClient.connect(server);
    client.send(v1('198.51.100.7', 40000));
    expect(code(await client.reply())).toBe('220');
    await client.command('EHLO client.example');
    expect(
      code(await client.deliver('MAIL FROM:<a@example.com>', ['RCPT TO:<b@example.org>'], 'Hi\r\n')),
    ).toBe('250 2.0.0');
    const session = seen[0] as SessionInfo;
    expect([session.remoteAddress, session.remotePort, session.localAddress, session.localPort]).toEqual([
      '198.51.100.7',
      40000,
      '192.0.2.25',
      25,
    ]);
    expect(session.proxy).toMatchObject({
      remoteAddress: '127.0.0.1',
      remotePort: 49152,
      version: 1,
      authority: undefined,
      ssl: undefined,
    });
    expect(session.proxy?.header.command).toBe('PROXY');
    expect(delivered).toHaveLength(1);
    const connect = logged.find((l) => l.message === 'connect');
    expect(connect?.fields).toMatchObject({ remoteAddress: '198.51.100.7', remotePort: 40000 });
  });

  it('version 2: IPv6 addresses, and the TLVs as session.proxy.authority, alpn and ssl', async () => {
    const { server, seen } = proxied();
    const client = RawClient.connect(server);
    client.send(
      v2({
        tlvs: [
          { type: 'ALPN', value: 'smtp' },
          { type: 'AUTHORITY', value: 'mx.example.com' },
          {
            type: 'SSL',
            client: 0x07,
            verify: 0,
            tlvs: [
              { type: 'VERSION', value: 'TLSv1.3' },
              { type: 'CN', value: 'client.example' },
              { type: 'CIPHER', value: 'TLS_AES_128_GCM_SHA256' },
            ],
          },
          { type: 'CRC32C' },
        ],
      }),
    );
    expect(code(await client.reply())).toBe('220');
    const session = seen[0] as SessionInfo;
    expect([session.remoteAddress, session.remotePort]).toEqual(['2001:db8::7', 40001]);
    expect(session.proxy).toMatchObject({
      remoteAddress: '127.0.0.1',
      version: 2,
      authority: 'mx.example.com',
      alpn: 'smtp',
      ssl: {
        version: 'TLSv1.3',
        cn: 'client.example',
        cipher: 'TLS_AES_128_GCM_SHA256',
        sigAlg: undefined,
        certificate: true,
        verified: true,
      },
    });
  });

  it('the commands that came in the same chunk as the header reach the session, in order', async () => {
    const { server } = proxied();
    const client = RawClient.connect(server);
    client.send(`${v1('198.51.100.7', 40000)}EHLO client.example\r\nNOOP\r\n`);
    const replies = await client.replies(3);
    expect(replies.map(code)).toEqual(['220', '250', '250 2.0.0']);
  });

  it('a header trickled in an octet at a time is read all the same', async () => {
    const { server, seen } = proxied();
    const client = RawClient.connect(server);
    for (const octet of v2()) {
      client.send(Uint8Array.of(octet));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(code(await client.reply())).toBe('220');
    expect(seen[0]?.remoteAddress).toBe('2001:db8::7');
  });

  it('LOCAL (a health check) and UNKNOWN keep the socket’s own addresses', async () => {
    const { server, seen } = proxied();
    const local = RawClient.connect(server);
    local.send(v2({ command: 'LOCAL', protocol: 'UNSPEC', addresses: { family: 'UNSPEC' } }));
    expect(code(await local.reply())).toBe('220');
    const unknown = RawClient.connect(server);
    unknown.send('PROXY UNKNOWN\r\n');
    expect(code(await unknown.reply())).toBe('220');
    expect(seen.map((s) => [s.remoteAddress, s.remotePort, s.proxy?.header.command])).toEqual([
      ['127.0.0.1', 49152, 'LOCAL'],
      ['127.0.0.1', 49152, 'PROXY'],
    ]);
  });

  it('connectionsPerAddress counts the clients, not the proxy they all come through', async () => {
    const { server } = proxied({ limits: { connectionsPerAddress: 1 } });
    const first = RawClient.connect(server);
    first.send(v1('198.51.100.7', 40000));
    const other = RawClient.connect(server);
    other.send(v1('198.51.100.8', 40000));
    const again = RawClient.connect(server);
    again.send(v1('198.51.100.7', 40001));
    expect(code(await first.reply())).toBe('220');
    expect(code(await other.reply())).toBe('220');
    expect(code(await again.reply())).toBe('421'); // too many connections
  });
});

describe('proxyProtocol: untrusted peers and hostile ones', () => {
  it('an untrusted peer is an ordinary client: its PROXY line is an unknown command', async () => {
    const { server, seen } = proxied({ proxyProtocol: { trusted: ['10.0.0.0/8'] } });
    const client = RawClient.connect(server);
    expect(code(await client.reply())).toBe('220');
    expect((await client.command(v1('198.51.100.7', 40000).trim())).code).toBe(500);
    expect(seen[0]?.remoteAddress).toBe('127.0.0.1');
    expect(seen[0]?.proxy).toBeUndefined();
  });

  it('without the option a PROXY line is an unknown command too', async () => {
    const { server } = collectingServer();
    servers.push(server);
    const client = RawClient.connect(server);
    expect(code(await client.reply())).toBe('220');
    expect((await client.command(v1('198.51.100.7', 40000).trim())).code).toBe(500);
  });

  it('a trusted peer that sends no header (an SMTP command) is closed without a greeting, and logged', async () => {
    const { server, logged, seen } = proxied();
    const client = RawClient.connect(server);
    client.send('EHLO client.example\r\n');
    await client.closed();
    expect(client.transcript).toBe('');
    expect(seen).toEqual([]);
    expect(logged).toContainEqual({
      level: 'warn',
      fields: { remoteAddress: '127.0.0.1', remotePort: 49152, error: 'not a PROXY protocol header' },
      message: 'PROXY header refused',
    });
    await until(() => server.connectionCount === 0, 1000, 'the connection to go');
  });

  it('an invalid header is refused the same way', async () => {
    const { server, logged } = proxied();
    const client = RawClient.connect(server);
    client.send('PROXY TCP4 198.51.100.7 192.0.2.25 040000 25\r\nEHLO x\r\n');
    await client.closed();
    expect(client.transcript).toBe('');
    expect(logged.find((l) => l.level === 'warn')?.fields.error).toMatch(/is not a port/);
    await until(() => server.connectionCount === 0, 1000, 'the connection to go');
  });

  it('a peer that trickles a valid start of a header, an octet at a time, is cut off at the deadline', async () => {
    const { server, logged } = proxied();
    const client = RawClient.connect(server);
    const started = Date.now();
    // 40 octets, one every 20 ms: 800 ms in all, well past the 300 ms deadline.
    const line = v1('198.51.100.7', 40000);
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < 40) client.send(line[sent++] as string);
    }, 20);
    try {
      await client.closed(3000);
    } finally {
      clearInterval(timer);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(sent).toBeLessThan(40);
    expect(client.transcript).toBe('');
    expect(logged.find((l) => l.message === 'PROXY header refused')).toMatchObject({
      level: 'info',
      fields: { error: 'no PROXY header within 300 ms' },
    });
    await until(() => server.connectionCount === 0, 1000, 'the connection to go');
  });

  it('a peer that never sends counts as a connection until the deadline, then is gone', async () => {
    const { server } = proxied();
    const clients = [RawClient.connect(server), RawClient.connect(server), RawClient.connect(server)];
    const started = Date.now();
    expect(server.connectionCount).toBe(3);
    await Promise.all(clients.map((c) => c.closed(3000)));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    await until(() => server.connectionCount === 0, 1000, 'the connections to go');
  });

  it('a peer that closes before its header leaves no count behind', async () => {
    const { server } = proxied();
    const client = RawClient.connect(server);
    client.send('PROXY TCP4 198.51');
    client.close();
    await until(() => server.connectionCount === 0, 1000, 'the connection to go');
  });

  it('close() waits for a header in progress, and its client then gets 421', async () => {
    const { server } = proxied();
    const client = RawClient.connect(server);
    client.send('PROXY TCP4 198.51');
    const closing = server.close({ timeout: 2000 });
    client.send('.100.7 192.0.2.25 40000 25\r\n');
    expect(code(await client.reply())).toBe('421'); // shutting down
    await closing;
    expect(server.connectionCount).toBe(0);
  });

  it('refuses a trusted list that is not CIDR blocks, and a timeout that is not positive', () => {
    expect(() => collectingServer({ proxyProtocol: { trusted: ['10.0.0.0/33'] } })).toThrow(
      /proxyProtocol\.trusted/,
    );
    expect(() => collectingServer({ proxyProtocol: { trusted: [], timeout: 0 } })).toThrow(
      /proxyProtocol\.timeout/,
    );
  });

  it('a proxied connection that the client resets leaves no count behind', async () => {
    const { server } = proxied();
    const [client, serverSide] = memoryPair();
    server.handle(serverSide);
    client.start({ data() {}, end() {} });
    void client.write(v1('198.51.100.7', 40000));
    await until(() => server.connectionCount === 1, 1000, 'the connection');
    client.destroy();
    await until(() => server.connectionCount === 0, 1000, 'the connection to go');
  });
});

describe('proxyProtocol over Node sockets', () => {
  const certs = testCertificates();
  const tls = { key: certs.localhost.key, cert: certs.localhost.cert };

  async function listen(options: SmtpServerOptions) {
    const { server, seen } = proxied(options);
    const { port } = await server.listen();
    return { server, seen, port };
  }

  it('implicit TLS: the header first, then the handshake, even with the ClientHello in the same read', async () => {
    const { seen, port } = await listen({ tls, secure: true });
    const raw = netConnect(port, '127.0.0.1');
    await new Promise((resolve) => raw.once('connect', resolve));
    // Corked, the header and the ClientHello leave together.
    raw.cork();
    raw.write(v1('198.51.100.7', 40000));
    const secure = tlsConnect({ socket: raw, ca: certs.ca, servername: 'localhost' });
    setTimeout(() => raw.uncork(), 50);
    const greeting = await new Promise<string>((resolve, reject) => {
      secure.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1')));
      secure.once('error', reject);
      setTimeout(() => reject(new Error('no greeting over TLS')), 3000);
    });
    secure.destroy();
    expect(greeting).toMatch(/^220 /);
    expect(seen[0]?.remoteAddress).toBe('198.51.100.7');
    expect(seen[0]?.secure).toBe(true);
  });

  it('STARTTLS on a proxied connection', async () => {
    const { seen, port } = await listen({ tls });
    const client = await SocketClient.connect(port);
    client.send(v1('198.51.100.7', 40000));
    expect(code(await client.reply())).toBe('220');
    await client.command('EHLO client.example');
    expect(code(await client.command('STARTTLS'))).toBe('220 2.0.0');
    await client.startTls({ ca: certs.ca, servername: 'localhost' });
    expect(code(await client.command('EHLO client.example'))).toBe('250');
    client.end();
    expect(seen[0]?.remoteAddress).toBe('198.51.100.7');
  });
});
