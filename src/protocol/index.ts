/**
 * The pure protocol layer: no I/O, no Node APIs, bytes and strings only.
 * @module
 */
export * from './address.js';
export * from './bdat.js';
export * from './commands.js';
export * from './dot-stuffer.js';
export * from './dot-unstuffer.js';
export * from './ehlo.js';
export * from './errors.js';
export * from './line-end-normalizer.js';
export * from './line-reader.js';
export * from './parameters.js';
export * from './replies.js';
export * from './reply.js';
export * from './reply-parser.js';
export * from './xtext.js';
