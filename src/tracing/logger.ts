/**
 * The logger `SmtpServer` and `SmtpClient` write to: pino's shape, so pino, bunyan-likes and a thin
 * wrapper around `console` all fit.
 * @module
 */

/** Anything with these four methods, each taking an object of fields and a message. */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
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
