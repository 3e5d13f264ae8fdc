import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SmtpServerOptions } from '../../src/server/options.js';
import { SmtpServer } from '../../src/server/smtp-server.js';

// Peers that hold on: they never close, never read, or send a byte now and then to look alive.
// Every wait in these tests is bounded, far beyond the deadlines the server is given.

const servers: SmtpServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await server.close({ timeout: 100 });
});

async function listen(options: SmtpServerOptions = {}): Promise<[SmtpServer, number]> {
  const server = new SmtpServer(options);
  servers.push(server);
  const { port } = await server.listen();
  return [server, port];
}

/** A raw connection that records what it received and whether it has closed. */
function open(port: number) {
  // Half-open allowed: the server's FIN does not make this peer close its side.
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  sockets.push(socket);
  socket.on('error', () => {});
  const peer = { socket, received: '', closed: false };
  socket.setEncoding('latin1');
  socket.on('data', (text: string) => {
    peer.received += text;
  });
  socket.on('close', () => {
    peer.closed = true;
  });
  return peer;
}

/** Waits, within `ms`, until `done()` holds. */
async function until(done: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`still waiting after ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Open descriptors of this process (Linux). */
function descriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Sends a byte every 200 ms to each peer still open, until stopped. */
function trickle(peers: { socket: Socket; closed: boolean }[]): () => void {
  const timer = setInterval(() => {
    for (const p of peers) if (!p.closed) p.socket.write(' ');
  }, 200);
  return () => clearInterval(timer);
}

describe('closing connections go away by a fixed deadline and count until they do', () => {
  it('clients that read the 221 and then trickle bytes without closing are cut off', async () => {
    const [server, port] = await listen({ limits: { connectionsPerAddress: 100 } });
    const before = descriptors();
    const peers = Array.from({ length: 100 }, () => open(port));
    await until(() => peers.every((p) => p.received.startsWith('220 ')), 10_000, 'greetings');
    for (const p of peers) p.socket.write('QUIT\r\n');
    await until(() => peers.every((p) => p.received.includes('221 ')), 10_000, '221s');
    // Each still holds a descriptor, so each still counts.
    expect(server.connectionCount).toBe(100);
    const stop = trickle(peers);
    try {
      await until(() => peers.every((p) => p.closed), 10_000, 'the server to close every connection');
    } finally {
      stop();
    }
    await until(() => server.connectionCount === 0, 1000, 'the count to fall');
    await until(
      () => descriptors() <= before + 2,
      1000,
      `descriptors to be released (${descriptors()} vs ${before})`,
    );
  }, 30_000);

  it('clients refused over the connection limit count, and trickling does not keep them', async () => {
    const [server, port] = await listen({ limits: { connections: 5 } });
    const admitted = Array.from({ length: 5 }, () => open(port));
    await until(() => admitted.every((p) => p.received.startsWith('220 ')), 10_000, 'greetings');
    const refused = Array.from({ length: 20 }, () => open(port));
    await until(() => refused.every((p) => p.received.startsWith('421 ')), 10_000, '421s');
    expect(server.connectionCount).toBe(25);
    const stop = trickle(refused);
    try {
      await until(() => refused.every((p) => p.closed), 10_000, 'the refused connections to close');
    } finally {
      stop();
    }
    expect(server.connectionCount).toBe(5);
  }, 30_000);
});

describe('a client that never reads its replies', () => {
  it('is cut off by the command timeout, and frees its slot for a real client from the same address', async () => {
    const [server, port] = await listen({
      timeouts: { command: 500 },
      limits: { connectionsPerAddress: 3 },
    });
    const hostile = Array.from({ length: 3 }, () => open(port));
    const lines = 'EHLO client.example\r\n'.repeat(200_000); // 4 MB, ten times that in replies
    for (const p of hostile) {
      p.socket.pause(); // never reads
      p.socket.write(lines);
    }
    const turnedAway = open(port);
    await until(() => turnedAway.received.startsWith('421 '), 10_000, 'the 421 over the per-address limit');
    // Measured on the server: a client that reads nothing may never see the close it was sent.
    // Generous: on a loaded machine the server takes seconds to fill the socket buffers first.
    await until(() => server.connectionCount === 0, 30_000, 'the non-reading clients to be cut off');
    const real = open(port);
    await until(() => real.received.startsWith('220 '), 5000, 'a greeting for the real client');
  }, 60_000);
});

describe('close({ timeout }) keeps its timeout', () => {
  /** Resolves with how close() ended: before `bound` ms, or not. */
  async function closeWithin(server: SmtpServer, timeout: number, bound: number): Promise<string> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('still open'), bound);
    });
    const result = await Promise.race([server.close({ timeout }).then(() => 'closed'), late]);
    clearTimeout(timer);
    return result;
  }

  it('with a stalled hook and a client whose FIN the paused socket never read', async () => {
    const [server, port] = await listen({ onData: () => new Promise(() => {}) });
    const peer = open(port);
    peer.socket.write('EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n');
    await until(() => peer.received.includes('354 '), 5000, 'the 354');
    peer.socket.write(`${'x'.repeat(998)}\r\n`.repeat(4096)); // enough to pause the server's socket
    peer.socket.end('.\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await closeWithin(server, 300, 5000)).toBe('closed');
    expect(server.connectionCount).toBe(0);
  }, 20_000);

  it('with a client that never reads and never closes', async () => {
    const [server, port] = await listen({ onData: () => new Promise(() => {}) });
    const peer = open(port);
    peer.socket.pause();
    peer.socket.write('EHLO client.example\r\n'.repeat(200_000));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await closeWithin(server, 300, 5000)).toBe('closed');
    expect(server.connectionCount).toBe(0);
  }, 20_000);

  it('after a data timeout: the 421 reaches the client and the socket goes', async () => {
    const [server, port] = await listen({ timeouts: { data: 200 } });
    const peer = open(port);
    peer.socket.write('EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n');
    await until(() => peer.received.includes('354 '), 5000, 'the 354');
    peer.socket.write('partial');
    await until(() => peer.received.includes('421 4.4.2'), 5000, 'the 421 of the data timeout');
    const stop = trickle([peer]);
    try {
      await until(() => peer.closed, 5000, 'the connection to close');
    } finally {
      stop();
    }
    expect(await closeWithin(server, 300, 5000)).toBe('closed');
  }, 20_000);
});

describe('a hook that never settles', () => {
  for (const [name, hooks] of Object.entries({
    onConnect: { onConnect: () => new Promise<void>(() => {}) },
    onRcptTo: { onRcptTo: () => new Promise<void>(() => {}) },
    onData: { onData: () => new Promise<void>(() => {}) },
  } satisfies Record<string, SmtpServerOptions>)) {
    it(`${name}: 421 after timeouts.hook, an error event, and the connection goes`, async () => {
      const [server, port] = await listen({ ...hooks, timeouts: { hook: 300 } });
      const errors: unknown[] = [];
      server.on('error', (error) => errors.push(error));
      const peer = open(port);
      peer.socket.write('EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n');
      if (name === 'onData') {
        await until(() => peer.received.includes('250 2.1.5'), 5000, 'the RCPT reply');
        peer.socket.write('DATA\r\n');
        await until(() => peer.received.includes('354 '), 5000, 'the 354');
        peer.socket.write('hi\r\n.\r\n');
      }
      await until(() => /^421 (4\.3\.0 )?Local processing timed out/m.test(peer.received), 5000, 'the 421');
      // The peer keeps its side open; the server's socket goes by the closing deadline.
      await until(() => server.connectionCount === 0, 5000, 'the connection to go');
      expect(String(errors[0])).toMatch(/did not settle/);
    }, 20_000);
  }
});
