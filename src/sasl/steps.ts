/**
 * A client mechanism sends a fixed number of messages. A server that keeps challenging after the
 * last one must get an error (the client then cancels with `*`), never the credentials again.
 * @module
 */

/** Returns a function to call before each message; it throws once `messages` have been sent. */
export function stepLimit(mechanism: string, messages: number): () => void {
  let sent = 0;
  return () => {
    sent += 1;
    if (sent > messages) {
      throw new Error(`${mechanism}: the server challenged past the last step of the exchange`);
    }
  };
}
