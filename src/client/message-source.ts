/**
 * A message as the caller gives it — a string, bytes, a Node Readable, a web ReadableStream or any
 * async iterable of bytes — as one stream of Uint8Array chunks, with what is known of it up front.
 * @module
 */
import { hasEightBit } from '../protocol/words.js';
import type { MessageFacts } from '../session/client-envelope.js';

/**
 * A message as `send()` takes it: a string (sent as UTF-8), bytes, a Node `Readable`, a web
 * `ReadableStream`, or any async iterable of bytes or strings: the whole message, headers and
 * body. Bare LF or CR line ends go out as CRLF; a stream is sent as it is read.
 */
export type MessageInput =
  | string
  | Uint8Array
  | AsyncIterable<Uint8Array | string>
  | ReadableStream<Uint8Array>;

/** Chunks of a message: a list when it was given whole, a stream otherwise. */
export type Chunks = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface MessageSource {
  readonly facts: MessageFacts;
  /** The message's bytes: one chunk when it was given whole (and `facts.size` is known). */
  readonly chunks: Chunks;
}

const encoder = new TextEncoder();

export function messageSource(message: MessageInput): MessageSource {
  if (typeof message === 'string' || message instanceof Uint8Array) {
    const bytes = typeof message === 'string' ? encoder.encode(message) : message;
    // A string's UTF-8 is longer than the string exactly when some character is not ASCII.
    const eightBit = typeof message === 'string' ? bytes.length !== message.length : hasEightBit(bytes);
    return { facts: { size: bytes.length, eightBit, binary: bytes.includes(0) }, chunks: [bytes] };
  }
  const iterable = isReadableStream(message) ? fromWebStream(message) : message;
  return { facts: { size: undefined, eightBit: undefined, binary: false }, chunks: asBytes(iterable) };
}

/**
 * Lets go of a message input that may not have been read to its end (a send refused before the
 * body): a Node stream is destroyed (its file closed), a web stream not being read is cancelled,
 * an async iterator is returned. Strings, bytes, and what was read to the end are left as they are.
 */
export function disposeMessage(message: MessageInput): void {
  if (typeof message === 'string' || message instanceof Uint8Array) return;
  const node = message as { destroy?: unknown; destroyed?: boolean };
  if (typeof node.destroy === 'function') {
    if (node.destroyed !== true) (node.destroy as () => void).call(message);
  } else if (typeof (message as ReadableStream).getReader === 'function') {
    const stream = message as ReadableStream<Uint8Array>;
    if (!stream.locked) stream.cancel().catch(() => {});
  } else {
    const iterator = message as Partial<AsyncIterator<unknown>>;
    iterator.return?.()?.catch?.(() => {});
  }
}

/**
 * The size a streamed message is gathered to before it goes out. A stream of tiny buffers would
 * otherwise be as many BDAT commands and replies (or writes, with DATA). 64 KiB is what
 * `fs.createReadStream` reads at a time, so files pass through without a copy; against it a BDAT
 * line and its reply cost a few dozen octets, and a refused message stops within a few chunks.
 */
export const CHUNK_SIZE = 64 * 1024;

/** `chunks` gathered into pieces of at least `size` octets; only the last may be smaller. */
export async function* gathered(chunks: Chunks, size = CHUNK_SIZE): AsyncIterable<Uint8Array> {
  let parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    parts.push(chunk);
    length += chunk.length;
    if (length >= size) {
      yield joined(parts);
      parts = [];
      length = 0;
    }
  }
  if (length > 0) yield joined(parts);
}

/** The parts one after the other; a single part as it is. */
export function joined(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function* asBytes(iterable: AsyncIterable<Uint8Array | string>): AsyncIterable<Uint8Array> {
  for await (const chunk of iterable) yield typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
}

function isReadableStream(value: unknown): value is ReadableStream<Uint8Array> {
  return (
    typeof (value as ReadableStream).getReader === 'function' && !(Symbol.asyncIterator in (value as object))
  );
}

async function* fromWebStream(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
