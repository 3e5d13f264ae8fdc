/**
 * Reads one message body for the server session, from DATA (dot-unstuffed) or from BDAT chunks
 * (counted, untouched), and applies the policies: the size limit while streaming, and bare line
 * ends refused or normalised after the real end.
 * @module
 */
import { BdatChunk } from '../protocol/bdat.js';
import { DotUnstuffer } from '../protocol/dot-unstuffer.js';
import { LineEndNormalizer } from '../protocol/line-end-normalizer.js';
import { Replies } from '../protocol/replies.js';
import type { Reply } from '../protocol/reply.js';
import type { ResolvedServerOptions } from './server-options.js';

type Emit = (bytes: Uint8Array) => void;

export class MessageReader {
  /** Why the message will not be delivered, once that is known. Its bytes are still read to the end. */
  aborted: Reply | undefined;
  /** The session has told its driver about `aborted`. */
  abortReported = false;
  /** Body octets so far, counted before any normalisation. */
  size = 0;
  /** The current BDAT chunk is the last one (always true for DATA). */
  last = true;
  /** Octets in the current BDAT chunk. */
  chunkSize = 0;
  private chunk: BdatChunk | undefined;
  /** Made once per message, not per chunk of input. */
  private readonly deliver = (bytes: Uint8Array): void => {
    if (bytes.length === 0) return;
    this.size += bytes.length;
    if (this.size > this.limit) this.abort(Replies.messageTooBig);
    if (this.aborted !== undefined) return; // read to the end, but not kept
    this.emit(this.normalizer === undefined ? bytes : this.normalizer.push(bytes));
  };

  private constructor(
    private readonly emit: Emit,
    private readonly limit: number,
    private readonly unstuffer: DotUnstuffer | undefined,
    private readonly normalizer: LineEndNormalizer | undefined,
    private readonly rejectBareLineEnds: boolean,
  ) {}

  /** A DATA body, ended by CRLF.CRLF; its bytes go to `emit`. */
  static data(options: ResolvedServerOptions, emit: Emit): MessageReader {
    const normalize = options.bareLineEnds === 'normalize';
    return new MessageReader(
      emit,
      options.messageSize,
      new DotUnstuffer(),
      normalize ? new LineEndNormalizer() : undefined,
      !normalize,
    );
  }

  /**
   * A message sent in BDAT chunks. Counted octets cannot be smuggled through, so line ends are
   * passed on as they are (BINARYMIME content has none to speak of).
   */
  static chunked(options: ResolvedServerOptions, emit: Emit): MessageReader {
    return new MessageReader(emit, options.messageSize, undefined, undefined, false);
  }

  nextChunk(size: number, last: boolean): void {
    this.chunk = new BdatChunk(size);
    this.chunkSize = size;
    this.last = last;
  }

  /**
   * Reads a chunk of input. Returns undefined while the body (or BDAT chunk) goes on, or the bytes
   * after its end, which are commands again.
   */
  push(input: Uint8Array): Uint8Array | undefined {
    if (this.unstuffer !== undefined) {
      const end = this.unstuffer.push(input, this.deliver);
      if (this.rejectBareLineEnds && (this.unstuffer.bareCr || this.unstuffer.bareLf)) {
        this.abort(Replies.bareLineEndInData);
      }
      return end < 0 ? undefined : input.subarray(end);
    }
    const chunk = this.chunk as BdatChunk;
    const taken = chunk.take(input);
    this.deliver(taken);
    return chunk.done ? input.subarray(taken.length) : undefined;
  }

  /**
   * A message over the size limit is refused with 552 even when a bare line end was found first:
   * which one comes first in the input depends on how TCP split it, and the reply must not.
   */
  private abort(reason: Reply): void {
    if (this.aborted === undefined || reason === Replies.messageTooBig) this.aborted = reason;
  }
}
