export { memoryPair } from './memory.js';
export { NodeTransport } from './node.js';
export type { TlsDetails, Transport, TransportHandlers, TransportInfo } from './transport.js';
