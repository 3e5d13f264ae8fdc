/**
 * The message file of `esmtp send`, opened before anything is sent, so that a file that cannot be
 * read fails on its own, with its name, and not as a stream error in the middle of a send.
 * @module
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';

export async function openMessageFile(path: string): Promise<Readable> {
  const handle = await open(path, 'r').catch((error: Error) => {
    throw new Error(`cannot read ${path}: ${reason(error)}`);
  });
  if ((await handle.stat()).isDirectory()) {
    await handle.close();
    throw new Error(`cannot read ${path}: it is a directory`);
  }
  return handle.createReadStream();
}

/** `ENOENT: no such file or directory, open 'x'` says `no such file or directory`. */
function reason(error: Error): string {
  return /^[A-Z]+: ([^,]+)/.exec(error.message)?.[1] ?? error.message;
}
