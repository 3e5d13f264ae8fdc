import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import type { EsmtpError } from '../../src/protocol/errors.js';
import { errorOf } from '../helpers/error-of.js';

/** A TCP server on 127.0.0.1 played by the test; it keeps every socket it accepts. */
async function listening(
  onSocket: (socket: Socket) => void = () => {},
): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  opened.push(server);
  return { server, port: (server.address() as { port: number }).port, sockets };
}

const opened: Server[] = [];
afterEach(() => {
  for (const server of opened.splice(0)) server.close();
});

describe('connect()', () => {
  it("refuses tls: 'none' with an smtps: URL before any connection is made", async () => {
    const { port, sockets } = await listening();
    await expect(SmtpClient.connect(`smtps://127.0.0.1:${port}`, { tls: 'none' })).rejects.toThrow(
      /tls: 'none'.*smtps:/,
    );
    await expect(SmtpClient.connect(`smtps://127.0.0.1:${port}`, { tls: 'none' })).rejects.toBeInstanceOf(
      TypeError,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(sockets).toHaveLength(0);
  });
});

/**
 * A server that answers up to DATA's 354 (or, offering CHUNKING, up to the first BDAT, which it
 * never answers) and then stops reading: the client's writes pile up and never drain.
 */
async function stalling(chunking: boolean): Promise<{ port: number; stalled: Promise<Socket> }> {
  let stall!: (socket: Socket) => void;
  const stalled = new Promise<Socket>((resolve) => {
    stall = resolve;
  });
  const { port } = await listening((socket) => {
    let buffered = '';
    socket.write('220 stall.test ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (line.startsWith('EHLO')) {
          socket.write(`250-stall.test\r\n${chunking ? '250-CHUNKING\r\n' : ''}250 PIPELINING\r\n`);
        } else if (line.startsWith('MAIL') || line.startsWith('RCPT')) socket.write('250 ok\r\n');
        else if (line === 'DATA' || line.startsWith('BDAT')) {
          if (line === 'DATA') socket.write('354 go\r\n');
          socket.pause();
          stall(socket);
          return;
        }
      }
    });
  });
  return { port, stalled };
}

/** Reads what is left on a server socket until the client's close arrives; the octets read. */
function drainedUntilClose(socket: Socket, ms = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    let octets = 0;
    const timer = setTimeout(() => reject(new Error('the client never closed the connection')), ms);
    socket.on('data', (chunk: Buffer) => {
      octets += chunk.length;
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(octets);
    });
    socket.resume();
  });
}

// Larger than what the kernel buffers of both ends of a loopback connection hold.
const HUGE = 'x'.repeat(78).concat('\r\n').repeat(400_000); // 32 MB

describe('a server that stops reading in the middle of the message', () => {
  for (const chunking of [false, true]) {
    const how = chunking ? 'BDAT' : 'DATA';
    it(`${how}: send() fails with ETIMEOUT after timeouts.data, closes, and later calls fail at once`, async () => {
      const { port, stalled } = await stalling(chunking);
      const client = await SmtpClient.connect(`smtp://127.0.0.1:${port}`, {
        tls: 'none',
        timeouts: { data: 300 },
      });
      const started = Date.now();
      const sending = client.send({ from: 'a@example.com', to: ['b@example.org'] }, HUGE);
      const queued = client.noop();
      const error = await errorOf(sending);
      expect(error.code).toBe('ETIMEOUT');
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect((await errorOf(queued)).code).toBe('ECONNECTION');
      expect((await errorOf(client.noop())).code).toBe('ECONNECTION');
      // The client let go of its socket: the server reads what was on its way, then the close.
      expect(await drainedUntilClose(await stalled)).toBeLessThan(HUGE.length);
    });

    it(`${how}: send() fails with EABORT when its signal fires first`, async () => {
      const { port, stalled } = await stalling(chunking);
      const client = await SmtpClient.connect(`smtp://127.0.0.1:${port}`, {
        tls: 'none',
        timeouts: { data: 60_000 },
      });
      const controller = new AbortController();
      const sending = client.send({ from: 'a@example.com', to: ['b@example.org'] }, HUGE, {
        signal: controller.signal,
      });
      const socket = await stalled;
      setTimeout(() => controller.abort(), 100);
      expect((await errorOf(sending)).code).toBe('EABORT');
      expect((await errorOf(client.noop())).code).toBe('ECONNECTION');
      expect(await drainedUntilClose(socket)).toBeLessThan(HUGE.length);
    });
  }
});

describe('STARTTLS', () => {
  /** A server that says 220 to STARTTLS and then never shakes hands. */
  async function silentAfterStarttls(): Promise<number> {
    const { port } = await listening((socket) => {
      socket.write('220 silent.test ESMTP\r\n');
      socket.on('data', (chunk: Buffer) => {
        const text = chunk.toString('latin1');
        if (text.startsWith('EHLO')) socket.write('250-silent.test\r\n250 STARTTLS\r\n');
        else if (text.startsWith('STARTTLS')) socket.write('220 go ahead\r\n');
      });
    });
    return port;
  }

  it('a handshake that never comes fails with ETIMEOUT within the command timeout', async () => {
    const port = await silentAfterStarttls();
    const error = (await SmtpClient.connect(`smtp://127.0.0.1:${port}`, {
      tls: 'required',
      timeouts: { command: 300 },
    }).catch((e: unknown) => e)) as EsmtpError;
    expect(error.code).toBe('ETIMEOUT');
  });

  it('and with EABORT when the signal fires first', async () => {
    const port = await silentAfterStarttls();
    const error = (await SmtpClient.connect(`smtp://127.0.0.1:${port}`, {
      tls: 'required',
      signal: AbortSignal.timeout(200),
    }).catch((e: unknown) => e)) as EsmtpError;
    expect(error.code).toBe('EABORT');
  });
});
