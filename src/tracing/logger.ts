/**
 * The logger `SmtpServer` and `SmtpClient` write to: pino's shape, so pino, bunyan-likes and a thin
 * wrapper around `console` all fit.
 * @module
 */

/** Anything with these four methods, each taking an object of fields and a message. */
export interface Logger {
  /** Every command and reply line (AUTH payloads redacted): a lot, for tracing one problem. */
  debug(fields: object, message: string): void;
  /** Connections, messages, and refusals with their reasons. */
  info(fields: object, message: string): void;
  /** Trouble on the way to the peer: the client could not connect or negotiate. */
  warn(fields: object, message: string): void;
  /** Failures of the application: a hook that threw, when nothing listens for `error` events. */
  error(fields: object, message: string): void;
  /** pino's: when present and false for `debug`, the wire lines are not even formatted. */
  isLevelEnabled?(level: string): boolean;
}

/** Writes nothing: the default. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  isLevelEnabled: () => false,
};

/** Whether `logger` wants debug lines (the wire, line by line). */
export function logsDebug(logger: Logger): boolean {
  return logger !== silentLogger && logger.isLevelEnabled?.('debug') !== false;
}
