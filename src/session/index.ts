export * from './client-envelope.js';
export * from './client-session.js';
export * from './server-events.js';
export * from './server-options.js';
export * from './server-session.js';
