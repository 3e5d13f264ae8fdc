import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SmtpServer } from '../../src/server/smtp-server.js';

/** Opens a connection, reads the greeting, says EHLO and QUIT, and returns what the server sent. */
function converse(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let received = '';
    let step = 0;
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      received += text;
      if (step === 0 && received.includes('220 ')) {
        step = 1;
        socket.write('EHLO client.example\r\n');
      } else if (step === 1 && /\r\n250 [^\r\n]*\r\n$/.test(received)) {
        step = 2;
        socket.write('QUIT\r\n');
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

describe('many connections at once', () => {
  it('1000 concurrent connections are all greeted and served', async () => {
    const server = new SmtpServer({ limits: { connections: 1000, connectionsPerAddress: 1000 } });
    const { port } = await server.listen();
    try {
      const transcripts = await Promise.all(Array.from({ length: 1000 }, () => converse(port)));
      const served = transcripts.filter(
        (t) => t.startsWith('220 ') && t.includes('250-') && t.includes('221 2.0.0'),
      );
      expect(served).toHaveLength(1000);
    } finally {
      await server.close({ timeout: 1000 });
    }
  }, 60_000);
});
