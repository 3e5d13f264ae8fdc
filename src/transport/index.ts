export { memoryPair } from './memory.js';
export { NodeTransport } from './node.js';
export type { Transport, TransportHandlers, TransportInfo } from './transport.js';
