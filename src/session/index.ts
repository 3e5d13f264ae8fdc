export * from './server-options.js';
export * from './server-session.js';
