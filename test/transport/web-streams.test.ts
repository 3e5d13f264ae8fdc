import { afterEach, describe, expect, it } from 'vitest';
import { SmtpClient } from '../../src/client/client-core.js';
import type { SmtpServer } from '../../src/server/smtp-server.js';
import type { TransportHandlers } from '../../src/transport/transport.js';
import { WebStreamsTransport } from '../../src/transport/web-streams.js';
import { testCertificates } from '../helpers/certs.js';
import { errorOf } from '../helpers/error-of.js';
import { collectingServer } from '../helpers/server.js';
import { connectStreams } from '../helpers/web-socket.js';

const certs = testCertificates();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function submissionServer(): Promise<{ server: SmtpServer; port: number; delivered: unknown[] }> {
  const { server, delivered } = collectingServer({
    tls: certs.localhost,
    requireTls: true,
    requireAuth: true,
    auth: {
      mechanisms: ['PLAIN'],
      authenticate: (c) => c.username === 'alice' && 'password' in c && c.password === 's3cret',
    },
  });
  const { port } = await server.listen();
  cleanups.push(() => server.close({ timeout: 200 }));
  return { server, port, delivered };
}

describe('WebStreamsTransport', () => {
  it('carries STARTTLS and AUTH PLAIN, with no read pending when TLS starts', async () => {
    const { port, delivered } = await submissionServer();
    const { streams, startTls } = await connectStreams(port);
    const client = await SmtpClient.over(
      new WebStreamsTransport(streams, { startTls }),
      { tls: 'required', tlsOptions: { ca: certs.ca }, auth: { username: 'alice', password: 's3cret' } },
      'localhost',
    );
    expect([client.secure, client.authenticated]).toEqual([true, true]);
    const result = await client.send(
      { from: 'alice@example.com', to: ['bob@example.org'] },
      'Subject: web\r\n\r\nstreams\r\n',
    );
    await client.quit();
    expect(result.accepted).toEqual(['bob@example.org']);
    expect(delivered).toMatchObject([
      { envelope: { from: { address: 'alice@example.com' } }, body: 'Subject: web\r\n\r\nstreams\r\n' },
    ]);
  });

  it('without a TLS upgrade, tls: required fails with ETLS', async () => {
    const { port } = await submissionServer();
    const { streams } = await connectStreams(port);
    const error = await errorOf(
      SmtpClient.over(new WebStreamsTransport(streams), { tls: 'required' }, 'localhost'),
    );
    expect(error).toMatchObject({ code: 'ETLS', message: expect.stringMatching(/no way to start TLS/) });
  });

  it('without a TLS upgrade, the default opportunistic TLS does not ask for STARTTLS and sends in cleartext', async () => {
    const { server, delivered } = collectingServer({ tls: certs.localhost });
    const { port } = await server.listen();
    cleanups.push(() => server.close({ timeout: 200 }));
    const { streams } = await connectStreams(port);
    const transport = new WebStreamsTransport(streams);
    expect(transport.startTls).toBeUndefined();
    const client = await SmtpClient.over(transport, {}, 'localhost');
    expect(client.secure).toBe(false);
    const result = await client.send(
      { from: 'a@example.com', to: ['b@example.org'] },
      'Subject: x\r\n\r\nx\r\n',
    );
    await client.quit();
    expect(result.accepted).toEqual(['b@example.org']);
    expect(delivered).toHaveLength(1);
  });

  it('a failed handshake fails with ETLS and ends the connection', async () => {
    const { port } = await submissionServer();
    const { streams, startTls, socket } = await connectStreams(port);
    const error = await errorOf(
      // The test CA is not trusted: the certificate check fails.
      SmtpClient.over(new WebStreamsTransport(streams, { startTls }), { tls: 'required' }, 'localhost'),
    );
    expect(error).toMatchObject({ code: 'ETLS', message: expect.stringMatching(/^TLS handshake failed: /) });
    await new Promise((resolve) => (socket.destroyed ? resolve(undefined) : socket.once('close', resolve)));
  });

  it('pause() stops delivering: a chunk read meanwhile waits for resume(), in order', async () => {
    let source!: ReadableStreamDefaultController<Uint8Array>;
    const readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          source = c;
        },
      },
      { highWaterMark: 0 },
    );
    const transport = new WebStreamsTransport({ readable, writable: new WritableStream() });
    const got: string[] = [];
    const handlers: TransportHandlers = {
      data: (chunk) => got.push(String.fromCharCode(...chunk)),
      end: () => {},
    };
    transport.start(handlers);
    source.enqueue(Uint8Array.of(0x61));
    await new Promise((resolve) => setTimeout(resolve, 5));
    transport.pause();
    source.enqueue(Uint8Array.of(0x62)); // the read already pending takes it
    source.enqueue(Uint8Array.of(0x63));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(got).toEqual(['a']);
    transport.resume();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('the end of the readable ends the transport once; destroy() cancels both streams', async () => {
    let cancelled = false;
    let aborted = false;
    let source!: ReadableStreamDefaultController<Uint8Array>;
    const readable = new ReadableStream<Uint8Array>({
      start: (c) => {
        source = c;
      },
      cancel: () => {
        cancelled = true;
      },
    });
    const writable = new WritableStream<Uint8Array>({
      abort: () => {
        aborted = true;
      },
    });
    const ends: (Error | undefined)[] = [];
    const first = new WebStreamsTransport({ readable, writable });
    first.start({ data: () => {}, end: (error) => ends.push(error) });
    first.destroy();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect([cancelled, aborted, ends]).toEqual([true, true, [undefined]]);

    const closed = new ReadableStream<Uint8Array>({
      start: (c) => {
        source = c;
      },
    });
    const second = new WebStreamsTransport({ readable: closed, writable: new WritableStream() });
    second.start({ data: () => {}, end: (error) => ends.push(error) });
    source.close();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(ends).toEqual([undefined, undefined]);
  });
});
