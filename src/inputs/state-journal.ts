// A state saved incrementally: named JSON entries in a base file plus an append-only journal of changes, so that
// saving a large state whose parts change a little at a time (the detection engine's keys) writes what changed,
// not the whole state. Used for the detection state (`<dataDir>/registry/detect-state.*`), which used to be one
// extra of registry.json rewritten with every checkpoint flush.
//
// Files, both NDJSON:
// - `<name>.base`: a header line `{"v":1,"gen":G,"entries":N}` and one `[name, value]` line per entry;
// - `<name>.journal`: a header line `{"v":1,"gen":G}`, then batches: `["s", name, value]` and `["d", name]` lines
//   closed by `["c", lines]`, the number of lines in the batch.
// Invariants:
// - A batch counts only once its closing line is on disk (appended, then fsync): a torn tail is ignored at load.
// - A full write (the caller's `full` changes, or when the journal has grown past the base) writes a new base
//   under the next generation (temp file, fsync, rename, directory fsync), then starts a new journal of that
//   generation. A journal of another generation than the base's is stale (a crash between the two) and ignored.
// - After a failed write the next one must be full (`needsFull`): nothing is appended after a torn batch.
// - Bad files are reported by the caller (load returns the problem) and set aside, never a crash.

import { open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../pipeline/errors.js';

const VERSION = 1;
/** The journal is folded into a new base once it is larger than the base and than this. */
const MIN_COMPACT_BYTES = 8 * 1024 * 1024;
/** Bytes per write() call while writing a base (bounds the memory of one write). */
const WRITE_CHUNK_BYTES = 1024 * 1024;

export interface StateChanges {
  /** Replace everything saved with `set`. */
  readonly full: boolean;
  /** Entries to (over)write: name and value as JSON text. Read once, during the write() call. */
  readonly set: Iterable<readonly [string, string]>;
  readonly delete: readonly string[];
}

export interface StateLoad {
  /** Entries as last saved (the base with the journal's complete batches applied). */
  readonly entries: Map<string, unknown>;
  /** A file that could not be read (set aside as `keptAs`): the state is what could be recovered, maybe empty. */
  readonly problem?: { readonly path: string; readonly error: string; readonly keptAs: string };
}

export class StateJournal {
  private gen = 0;
  /** The latest generation given to an encoded base (the next full write takes the one after). */
  private lastGen = 0;
  private baseBytes = 0;
  private journalBytes = 0;
  private journal: FileHandle | undefined;
  private mustRewrite = true;
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly name: string,
    private readonly minCompactBytes: number,
  ) {}

  get basePath(): string {
    return path.join(this.dir, `${this.name}.base`);
  }

  get journalPath(): string {
    return path.join(this.dir, `${this.name}.journal`);
  }

  /** Bytes on disk (base + journal). */
  get bytes(): number {
    return this.baseBytes + this.journalBytes;
  }

  /** Whether the next write must carry the whole state (`full` changes): first write, after a failure, to compact. */
  get needsFull(): boolean {
    return this.mustRewrite || this.journalBytes > Math.max(this.baseBytes, this.minCompactBytes);
  }

  /** Open the store in `dir` (which must exist) and load what it holds. */
  static async open(
    dir: string,
    name: string,
    options: { minCompactBytes?: number } = {},
  ): Promise<{ journal: StateJournal; load: StateLoad }> {
    const j = new StateJournal(dir, name, options.minCompactBytes ?? MIN_COMPACT_BYTES);
    await rm(`${j.basePath}.tmp`, { force: true });
    await rm(`${j.journalPath}.tmp`, { force: true });
    const load = await j.load();
    return { journal: j, load };
  }

  private async load(): Promise<StateLoad> {
    const entries = new Map<string, unknown>();
    let text: string;
    try {
      text = await readFile(this.basePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries };
      return this.setAside(this.basePath, describeError(err), entries);
    }
    try {
      const lines = text.split('\n');
      const head = JSON.parse(lines[0]!) as { v?: unknown; gen?: unknown; entries?: unknown };
      if (head.v !== VERSION || typeof head.gen !== 'number') throw new Error('unknown header');
      let n = 0;
      for (let i = 1; i < lines.length; i++) {
        if (lines[i] === '') continue;
        const [k, v] = JSON.parse(lines[i]!) as [string, unknown];
        entries.set(k, v);
        n++;
      }
      if (n !== head.entries) throw new Error(`${n} entries where the header says ${String(head.entries)}`);
      this.gen = head.gen;
      this.lastGen = head.gen;
      this.baseBytes = Buffer.byteLength(text);
    } catch (err) {
      return this.setAside(this.basePath, `not a state base file: ${describeError(err)}`, new Map());
    }
    await this.applyJournal(entries);
    return { entries };
  }

  /** Apply the journal's complete batches of the base's generation. */
  private async applyJournal(entries: Map<string, unknown>): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.journalPath, 'utf8');
    } catch {
      return; // none (or unreadable: the base alone is a consistent, older state)
    }
    const lines = text.split('\n');
    try {
      const head = JSON.parse(lines[0]!) as { v?: unknown; gen?: unknown };
      if (head.v !== VERSION || head.gen !== this.gen) return; // stale: written before the current base
    } catch {
      return;
    }
    this.journalBytes = Buffer.byteLength(text);
    let batch: unknown[][] = [];
    for (let i = 1; i < lines.length; i++) {
      let op: unknown[];
      try {
        op = JSON.parse(lines[i]!) as unknown[];
      } catch {
        break; // a torn line: the batch it belongs to never closed
      }
      if (op[0] !== 'c') {
        batch.push(op);
        continue;
      }
      if (op[1] !== batch.length) break;
      for (const o of batch) {
        if (o[0] === 's') entries.set(o[1] as string, o[2]);
        else entries.delete(o[1] as string);
      }
      batch = [];
    }
  }

  private async setAside(file: string, error: string, entries: Map<string, unknown>): Promise<StateLoad> {
    const keptAs = `${file}.corrupt-${Date.now()}`;
    await rename(file, keptAs).catch(() => undefined);
    await rm(this.journalPath, { force: true }).catch(() => undefined);
    return { entries, problem: { path: file, error, keptAs } };
  }

  /**
   * Save changes; resolves with the bytes written once they are durable. The changes are encoded at the call,
   * synchronously (their `set` may be read from live state), then written after any write still in progress. A
   * `full` change set becomes a new base; otherwise it is appended to the journal (the caller must give a full
   * one when `needsFull`).
   */
  write(changes: StateChanges): Promise<number> {
    const encoded = changes.full ? this.encodeBase(changes.set) : encodeBatch(changes);
    const next = this.writing.then(() => this.doWrite(changes.full, encoded));
    this.writing = next.catch(() => undefined);
    return next;
  }

  private encodeBase(set: Iterable<readonly [string, string]>): Encoded {
    const gen = ++this.lastGen;
    const body = new ChunkEncoder();
    let n = 0;
    for (const [k, json] of set) {
      body.add(`[${JSON.stringify(k)},${json}]\n`);
      n++;
    }
    const head = Buffer.from(`${JSON.stringify({ v: VERSION, gen, entries: n })}\n`);
    const buffers = [head, ...body.finish()];
    return { gen, buffers, bytes: buffers.reduce((a, b) => a + b.length, 0) };
  }

  private async doWrite(full: boolean, encoded: Encoded): Promise<number> {
    if (!full && this.mustRewrite) throw new Error('state journal: a full write is needed first');
    try {
      return full ? await this.writeBase(encoded) : await this.append(encoded);
    } catch (err) {
      this.mustRewrite = true;
      throw err;
    }
  }

  private async append(encoded: Encoded): Promise<number> {
    if (encoded.bytes === 0) return 0;
    const fh = (this.journal ??= await open(this.journalPath, 'a'));
    for (const buf of encoded.buffers) await writeAll(fh, buf);
    await fh.sync();
    this.journalBytes += encoded.bytes;
    return encoded.bytes;
  }

  private async writeBase(encoded: Encoded): Promise<number> {
    const gen = encoded.gen;
    await writeFileDurably(`${this.basePath}.tmp`, encoded.buffers);
    await rename(`${this.basePath}.tmp`, this.basePath);
    await syncDir(this.dir);
    // From here the base of `gen` is the state; the old journal is stale until replaced.
    this.gen = gen;
    this.baseBytes = encoded.bytes;
    await this.journal?.close();
    this.journal = undefined;
    const header = Buffer.from(`${JSON.stringify({ v: VERSION, gen })}\n`);
    await writeFileDurably(`${this.journalPath}.tmp`, [header]);
    await rename(`${this.journalPath}.tmp`, this.journalPath);
    await syncDir(this.dir);
    this.journalBytes = header.length;
    this.mustRewrite = false;
    return encoded.bytes + header.length;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.journal?.close();
    this.journal = undefined;
  }

  /** Size of the files now on disk (for a test or a report). */
  async sizeOnDisk(): Promise<number> {
    let n = 0;
    for (const f of [this.basePath, this.journalPath])
      n += await stat(f).then(
        (s) => s.size,
        () => 0,
      );
    return n;
  }
}

interface Encoded {
  /** Generation of a base (0 for a journal batch). */
  readonly gen: number;
  readonly buffers: Buffer[];
  readonly bytes: number;
}

/** A journal batch: its lines and the closing line with their count (nothing when there is no change). */
function encodeBatch(changes: StateChanges): Encoded {
  const enc = new ChunkEncoder();
  let n = 0;
  for (const [k, json] of changes.set) {
    enc.add(`["s",${JSON.stringify(k)},${json}]\n`);
    n++;
  }
  for (const k of changes.delete) {
    enc.add(`${JSON.stringify(['d', k])}\n`);
    n++;
  }
  if (n === 0) return { gen: 0, buffers: [], bytes: 0 };
  enc.add(`${JSON.stringify(['c', n])}\n`);
  const buffers = enc.finish();
  return { gen: 0, buffers, bytes: buffers.reduce((a, b) => a + b.length, 0) };
}

/**
 * Lines gathered into UTF-8 buffers of about WRITE_CHUNK_BYTES: what a save holds is its bytes, not one string
 * per entry.
 */
class ChunkEncoder {
  private readonly buffers: Buffer[] = [];
  private cur: string[] = [];
  private size = 0;

  add(line: string): void {
    this.cur.push(line);
    this.size += line.length;
    if (this.size >= WRITE_CHUNK_BYTES) this.seal();
  }

  finish(): Buffer[] {
    if (this.cur.length > 0) this.seal();
    return this.buffers;
  }

  private seal(): void {
    this.buffers.push(Buffer.from(this.cur.join('')));
    this.cur = [];
    this.size = 0;
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    off += bytesWritten;
  }
}

async function writeFileDurably(file: string, buffers: readonly Buffer[]): Promise<void> {
  const fh = await open(file, 'w');
  try {
    for (const buf of buffers) await writeAll(fh, buf);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync the directory so renames are durable (not possible on Windows; harmless to skip there). */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // some file systems refuse fsync on directories
  } finally {
    await fh.close();
  }
}
