/**
 * Maildir delivery (https://cr.yp.to/proto/maildir.html): each message is written to tmp/ under a
 * unique name, flushed to disk, then renamed into new/, so a reader never sees half a message.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

let counter = 0;

export async function createMaildir(dir: string): Promise<void> {
  for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
}

/** A name unique on this host: time, process, a counter and randomness, then the host name. */
function uniqueName(): string {
  const now = Date.now();
  const host = hostname().replace(/\//g, '\\057').replace(/:/g, '\\072');
  return `${Math.floor(now / 1000)}.M${(now % 1000) * 1000}P${process.pid}Q${++counter}R${randomBytes(4).toString('hex')}.${host}`;
}

/**
 * Writes `header` then the message stream into the Maildir and resolves with the file's path in
 * new/, its name and the message's size once it is there for good. `beforeRename`, when given,
 * runs once the file is flushed and before it appears in new/ (the catcher writes the envelope
 * there, so that no message is ever seen without one). Whatever fails on the way (the stream, a
 * write, the flush, `beforeRename`, the rename), the file in tmp/ is removed before the error is
 * passed on.
 */
export async function deliverToMaildir(
  dir: string,
  header: string,
  message: Readable,
  beforeRename?: (name: string, size: number) => Promise<void>,
): Promise<{ path: string; name: string; size: number }> {
  const name = uniqueName();
  const tmp = join(dir, 'tmp', name);
  const target = join(dir, 'new', name);
  const file = await open(tmp, 'wx', 0o600);
  let size = 0;
  try {
    try {
      await writeAll(file, new TextEncoder().encode(header));
      for await (const chunk of message) {
        size += (chunk as Uint8Array).length;
        await writeAll(file, chunk as Uint8Array);
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await beforeRename?.(name, size);
    await rename(tmp, target);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
  // The rename is durable once the directory itself is flushed (not every file system can).
  const directory = await open(join(dir, 'new'), 'r');
  await directory.sync().catch(() => {});
  await directory.close();
  return { path: target, name, size };
}

/**
 * A write may take fewer bytes than it was given (at a file size limit, or with the disk nearly
 * full) without failing: the rest is written again, and the next write reports why it cannot.
 */
async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length; ) {
    const { bytesWritten } = await file.write(bytes, offset);
    if (bytesWritten === 0) throw new Error('write made no progress');
    offset += bytesWritten;
  }
}
