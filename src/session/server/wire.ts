/**
 * The reply cache: replies are immutable and most are the same few constants, so each is encoded
 * once per form (with enhanced codes or without), not on every use.
 * @module
 */
import { encodeReply, type Reply } from '../../protocol/reply.js';

const WIRES = { plain: new WeakMap<Reply, string>(), enhanced: new WeakMap<Reply, string>() };

/** The reply as it goes on the wire. */
export function wireOf(r: Reply, enhanced: boolean): string {
  const cache = enhanced ? WIRES.enhanced : WIRES.plain;
  let wire = cache.get(r);
  if (wire === undefined) {
    wire = encodeReply(r, { enhanced });
    cache.set(r, wire);
  }
  return wire;
}
