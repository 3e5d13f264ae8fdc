/**
 * A message stream read with a deadline: the caller's stream is the one thing the client waits
 * for that no server timeout covers.
 * @module
 */
import type { ClientConnection } from './client-connection.js';
import type { Chunks } from './message-source.js';

/**
 * `chunks`, each of which must come within `timeout` milliseconds of being asked for, and before
 * `signal` aborts; otherwise the connection fails (`ETIMEOUT`, `EABORT`), as a message cut short
 * must not be taken for whole. A stream that stalls would otherwise hold the send, its connection,
 * and a pool's `close()` for ever, long after the server gave up on the message. A stream left
 * early is told to stop (`return()`), which one stuck in an await of its own takes if it resumes.
 */
export async function* paced(
  chunks: Chunks,
  conn: ClientConnection,
  timeout: number,
  signal?: AbortSignal,
): AsyncIterable<Uint8Array> {
  if (!(Symbol.asyncIterator in chunks)) {
    yield* chunks; // a message given whole: nothing to wait for
    return;
  }
  const iterator = chunks[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = iterator.next();
      // Left pending when the deadline wins: a late failure of the stream must not go unhandled.
      next.catch(() => {});
      const result = await conn.within(
        next,
        timeout,
        signal,
        `the message stream gave nothing for ${timeout} ms`,
      );
      if (result.done) {
        finished = true;
        return;
      }
      yield result.value;
    }
  } finally {
    if (!finished) iterator.return?.()?.catch(() => {});
  }
}
