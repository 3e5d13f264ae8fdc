/**
 * A message as the caller gives it — a string, bytes, a Node Readable, a web ReadableStream or any
 * async iterable of bytes — as one stream of Uint8Array chunks, with what is known of it up front.
 * @module
 */
import type { MessageFacts } from '../session/client-envelope.js';

export type MessageInput =
  | string
  | Uint8Array
  | AsyncIterable<Uint8Array | string>
  | ReadableStream<Uint8Array>;

export interface MessageSource {
  readonly facts: MessageFacts;
  readonly chunks: AsyncIterable<Uint8Array>;
}

const encoder = new TextEncoder();

export function messageSource(message: MessageInput): MessageSource {
  if (typeof message === 'string' || message instanceof Uint8Array) {
    const bytes = typeof message === 'string' ? encoder.encode(message) : message;
    return {
      facts: { size: bytes.length, eightBit: hasEightBit(bytes), binary: bytes.includes(0) },
      chunks: once(bytes),
    };
  }
  const iterable = isReadableStream(message) ? fromWebStream(message) : message;
  return { facts: { size: undefined, eightBit: undefined, binary: false }, chunks: asBytes(iterable) };
}

export function hasEightBit(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) > 127) return true;
  return false;
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
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
