import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago, for peers that cannot take port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
