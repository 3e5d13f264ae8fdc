/**
 * The message file of `esmtp send`, opened and measured before anything is sent, so that a file
 * that cannot be read fails on its own, with its name, and not as a stream error in the middle of
 * a send, and so that the send can declare the size (SIZE=) and be refused early when too large.
 * @module
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';

export interface MessageFile {
  stream: Readable;
  /** The size of a regular file; a pipe or a device has none to tell. */
  size: number | undefined;
}

export async function openMessageFile(path: string): Promise<MessageFile> {
  const handle = await open(path, 'r').catch((error: Error) => {
    throw new Error(`cannot read ${path}: ${reason(error)}`);
  });
  const stats = await handle.stat();
  if (stats.isDirectory()) {
    await handle.close();
    throw new Error(`cannot read ${path}: it is a directory`);
  }
  return { stream: handle.createReadStream(), size: stats.isFile() ? stats.size : undefined };
}

/** `ENOENT: no such file or directory, open 'x'` says `no such file or directory`. */
function reason(error: Error): string {
  return /^[A-Z]+: ([^,]+)/.exec(error.message)?.[1] ?? error.message;
}
