/**
 * The catcher's index of the Maildir: every message in new/ and cur/ with its envelope, loaded at
 * start, kept in the order received, and told of each delivery. It emits `added` (a summary and
 * the text it is searched by) and `deleted` (the ids) for the events and the long poll.
 * @module
 */
import { EventEmitter } from 'node:events';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ENVELOPES, readEnvelope, removeEnvelope, type StoredEnvelope } from './envelope.js';
import { type MessageFilter, matches } from './filter.js';
import { Limit } from './limit.js';
import { type MessageSummary, type Parsed, parseMessage } from './parse.js';

interface Entry {
  summary: MessageSummary;
  searchText: string;
  /** The file, relative to the Maildir: new/NAME, or cur/NAME:2,FLAGS once a reader has seen it. */
  file: string;
}

/** The part of a Maildir name before the flags: the message's id. */
const idOf = (file: string) => file.split(':')[0] as string;

export class MessageStore extends EventEmitter<{ added: [MessageSummary, string]; deleted: [string[]] }> {
  /** Oldest first. */
  readonly #entries: Entry[] = [];
  readonly #byId = new Map<string, Entry>();
  /** Full parses for the API: each holds a message of up to the size limit, and more, in memory. */
  readonly #parses = new Limit(2, 8, 10_000);

  constructor(
    readonly maildir: string,
    /** Keep at most this many, deleting the oldest. */
    readonly max: number | undefined,
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** Reads what the Maildir holds; envelopes left without a message (a crash between the two) go. */
  async load(): Promise<void> {
    const loaded: Entry[] = [];
    for (const sub of ['new', 'cur']) {
      for (const name of await readdir(join(this.maildir, sub))) {
        if (name.startsWith('.')) continue;
        const entry = await this.#read(`${sub}/${name}`, undefined).catch(() => undefined);
        if (entry !== undefined) loaded.push(entry);
      }
    }
    loaded.sort(
      (a, b) =>
        a.summary.envelope.receivedAt.localeCompare(b.summary.envelope.receivedAt) ||
        deliveryNumber(a.summary.id) - deliveryNumber(b.summary.id),
    );
    for (const entry of loaded) this.#insert(entry);
    const ids = new Set(this.#byId.keys());
    for (const file of await readdir(join(this.maildir, ENVELOPES)).catch(() => [])) {
      const name = file.replace(/\.json$/, '');
      if (file.endsWith('.json') && !ids.has(name)) await removeEnvelope(this.maildir, name);
    }
    await this.#prune();
  }

  /** A message delivered into new/ with its envelope. */
  async add(name: string, envelope: StoredEnvelope): Promise<void> {
    const entry = await this.#read(`new/${name}`, envelope);
    this.#insert(entry);
    this.emit('added', entry.summary, entry.searchText);
    await this.#prune();
  }

  /** Newest first, those that match, `offset` and `limit` applied; with the count of all that match. */
  list(filter: MessageFilter, offset: number, limit: number): { total: number; messages: MessageSummary[] } {
    const found: MessageSummary[] = [];
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const entry = this.#entries[i] as Entry;
      if (matches(entry.summary, entry.searchText, filter)) found.push(entry.summary);
    }
    return { total: found.length, messages: found.slice(offset, offset + limit) };
  }

  /** The newest message that matches, if any. */
  newest(filter: MessageFilter): MessageSummary | undefined {
    return this.list(filter, 0, 1).messages[0];
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** The message's bytes as stored, or undefined if it is gone. */
  async raw(id: string): Promise<Uint8Array | undefined> {
    const entry = this.#byId.get(id);
    if (entry === undefined) return undefined;
    const file = await this.#locate(entry);
    // A delete, the pruning or a mail reader may take the file between the look and the read.
    return file === undefined ? undefined : readFile(join(this.maildir, file)).catch(gone);
  }

  /** The message parsed in full, or undefined if it is gone. */
  parsed(id: string): Promise<Parsed | undefined> {
    return this.#parses.run(async () => {
      const entry = this.#byId.get(id);
      const raw = await this.raw(id);
      if (entry === undefined || raw === undefined) return undefined;
      const envelope = entry.summary.envelopeStored ? entry.summary.envelope : undefined;
      return parseMessage(id, raw, envelope, new Date(entry.summary.envelope.receivedAt));
    });
  }

  /** Deletes the messages (all when `ids` is undefined) and their envelopes; resolves with the ids deleted. */
  async delete(ids?: readonly string[]): Promise<string[]> {
    const doomed =
      ids === undefined ? [...this.#entries] : [...new Set(ids)].flatMap((id) => this.#byId.get(id) ?? []);
    for (const entry of doomed) {
      this.#byId.delete(entry.summary.id);
      this.#entries.splice(this.#entries.indexOf(entry), 1);
    }
    for (const entry of doomed) {
      const file = await this.#locate(entry);
      if (file !== undefined) await unlink(join(this.maildir, file)).catch(() => {});
      await removeEnvelope(this.maildir, entry.summary.id);
    }
    const deleted = doomed.map((e) => e.summary.id);
    if (deleted.length > 0) this.emit('deleted', deleted);
    return deleted;
  }

  async #read(file: string, envelope: StoredEnvelope | undefined): Promise<Entry> {
    const id = idOf(file.slice(4));
    const path = join(this.maildir, file);
    const [raw, info] = await Promise.all([readFile(path), stat(path)]);
    const known = envelope ?? (await readEnvelope(this.maildir, id));
    const { summary, searchText } = await parseMessage(id, raw, known, info.mtime);
    return { summary, searchText, file };
  }

  #insert(entry: Entry): void {
    this.#entries.push(entry);
    this.#byId.set(entry.summary.id, entry);
  }

  async #prune(): Promise<void> {
    const excess = this.max === undefined ? 0 : this.#entries.length - this.max;
    if (excess > 0) await this.delete(this.#entries.slice(0, excess).map((e) => e.summary.id));
  }

  /** Where the message is now: a mail reader may have moved it from new/ to cur/ and flagged it. */
  async #locate(entry: Entry): Promise<string | undefined> {
    if (await exists(join(this.maildir, entry.file))) return entry.file;
    for (const sub of ['new', 'cur']) {
      const names = await readdir(join(this.maildir, sub)).catch(() => [] as string[]);
      const found = names.find((n) => idOf(n) === entry.summary.id);
      if (found !== undefined) {
        entry.file = `${sub}/${found}`;
        return entry.file;
      }
    }
    return undefined;
  }
}

/** A file that is no longer there is a message not found; any other failure is one. */
function gone(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined;
  throw error;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** One process numbers its deliveries (Q<n> in the name): the order within one millisecond. */
function deliveryNumber(name: string): number {
  return Number(/Q(\d+)/.exec(name)?.[1] ?? 0);
}
