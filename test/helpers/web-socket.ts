import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TlsUpgrade, WebStreams } from '../../src/transport/web-streams.js';

/**
 * A Node socket as a runtime's web-streams socket: the readable reads from the socket only while a
 * read is pending (highWaterMark 0), as Deno's and workerd's do, so that `readPending()` tells
 * whether one is.
 */
export function socketStreams(socket: Socket): WebStreams & { readPending(): boolean } {
  let pending = false;
  const readable = new ReadableStream<Uint8Array>(
    {
      pull: (controller) =>
        new Promise<void>((resolve) => {
          pending = true;
          const done = () => {
            pending = false;
            socket.off('readable', take);
            socket.off('end', ended);
            socket.off('error', failed);
            resolve();
          };
          const take = () => {
            const chunk = socket.read() as Buffer | null;
            if (chunk === null) return;
            done();
            controller.enqueue(new Uint8Array(chunk));
          };
          const ended = () => {
            done();
            controller.close();
          };
          const failed = (error: Error) => {
            done();
            controller.error(error);
          };
          socket.on('readable', take);
          socket.once('end', ended);
          socket.once('error', failed);
          take();
        }),
      cancel: () => {
        socket.destroy();
      },
    },
    { highWaterMark: 0 },
  );
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) =>
      new Promise<void>((resolve, reject) =>
        socket.write(chunk, (error) => (error ? reject(error) : resolve())),
      ),
    close: () => new Promise<void>((resolve) => socket.end(resolve)),
    abort: () => {
      socket.destroy();
    },
  });
  return { readable, writable, readPending: () => pending };
}

/**
 * Opens a TCP connection as web streams, with a TLS upgrade that refuses, as workerd does, to
 * start while a read is pending on the plain readable.
 */
export async function connectStreams(
  port: number,
): Promise<{ streams: WebStreams; startTls: TlsUpgrade; socket: Socket }> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const plain = socketStreams(socket);
  const startTls: TlsUpgrade = async (_streams, options) => {
    if (plain.readPending()) {
      throw new TypeError('Cannot call releaseLock() on a reader with outstanding read promises');
    }
    const secure = tlsConnect({
      socket,
      servername: options.servername,
      ca: options.ca as string | undefined,
    });
    await once(secure, 'secureConnect');
    return socketStreams(secure);
  };
  return { streams: plain, startTls, socket };
}
