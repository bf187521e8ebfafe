// A state saved incrementally: named JSON entries in a base file plus an append-only journal of changes, so that
// saving a large state whose parts change a little at a time (the detection engine's keys) writes what changed,
// not the whole state. Used for the detection state (`<dataDir>/registry/detect-state.*`), which used to be one
// extra of registry.json rewritten with every checkpoint flush.
//
// Files, both NDJSON:
// - `<name>.base`: a header line `{"v":1,"gen":G}`, one `[name, value]` line per entry, and a closing line
//   `{"entries":N}`;
// - `<name>.journal`: a header line `{"v":1,"gen":G}`, then batches: `["s", name, value]` and `["d", name]` lines
//   closed by `["c", lines]`, the number of lines in the batch.
// Invariants:
// - A batch counts only once its closing line is on disk (appended, then fsync): a torn tail is ignored at load.
// - A full write (the caller's `full` changes, or when the journal has grown past the base) writes a new base
//   under the next generation (temp file, fsync, rename, directory fsync), then starts a new journal of that
//   generation. A journal of another generation than the base's is stale (a crash between the two) and ignored.
// - After a failed write the next one must be full (`needsFull`): nothing is appended after a torn batch.
// - Entries are read from the caller's iterable as they are written, a chunk of about 1 MiB at a time: a save holds
//   one chunk, whatever its size. (The caller's iterable may thus be read across awaits; the detection engine's
//   is built for that: state-snapshot.ts.)
// - Bad files are reported by the caller (load returns the problem) and set aside, never a crash.

import { open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../pipeline/errors.js';

const VERSION = 1;
/** The journal is folded into a new base once it is larger than the base and than this. */
const MIN_COMPACT_BYTES = 8 * 1024 * 1024;
/** Bytes per file write while saving (bounds the memory of one save). */
const WRITE_CHUNK_BYTES = 1024 * 1024;

export interface StateChanges {
  /** Replace everything saved with `set`. */
  readonly full: boolean;
  /** Entries to (over)write: name and value as JSON text, read once, while the write goes on. */
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
      const head = JSON.parse(lines[0]!) as { v?: unknown; gen?: unknown };
      if (head.v !== VERSION || typeof head.gen !== 'number') throw new Error('unknown header');
      let last = lines.length - 1;
      while (last > 0 && lines[last] === '') last--;
      const tail = JSON.parse(lines[last]!) as { entries?: unknown };
      if (last === 0 || typeof tail.entries !== 'number') throw new Error('no closing line (cut short)');
      for (let i = 1; i < last; i++) {
        const [k, v] = JSON.parse(lines[i]!) as [string, unknown];
        entries.set(k, v);
      }
      if (last - 1 !== tail.entries)
        throw new Error(`${last - 1} entries where the closing line says ${String(tail.entries)}`);
      this.gen = head.gen;
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
   * Save changes; resolves with the bytes written once they are durable. Writes run one after the other; the
   * entries of `set` are read while they are written. A `full` change set becomes a new base; otherwise it is
   * appended to the journal (the caller must give a full one when `needsFull`).
   */
  write(changes: StateChanges): Promise<number> {
    const next = this.writing.then(() => this.doWrite(changes));
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async doWrite(changes: StateChanges): Promise<number> {
    if (!changes.full && this.mustRewrite) throw new Error('state journal: a full write is needed first');
    try {
      return changes.full ? await this.writeBase(changes.set) : await this.append(changes);
    } catch (err) {
      this.mustRewrite = true;
      throw err;
    }
  }

  private async append(changes: StateChanges): Promise<number> {
    const fh = (this.journal ??= await open(this.journalPath, 'a'));
    const out = new ChunkWriter(fh);
    let n = 0;
    for (const [k, json] of changes.set) {
      await out.add(`["s",${JSON.stringify(k)},${json}]\n`);
      n++;
    }
    for (const k of changes.delete) {
      await out.add(`${JSON.stringify(['d', k])}\n`);
      n++;
    }
    if (n === 0) return 0;
    await out.add(`${JSON.stringify(['c', n])}\n`);
    await out.flush();
    await fh.sync();
    this.journalBytes += out.written;
    return out.written;
  }

  private async writeBase(set: Iterable<readonly [string, string]>): Promise<number> {
    const gen = this.gen + 1;
    const tmp = `${this.basePath}.tmp`;
    const fh = await open(tmp, 'w');
    const out = new ChunkWriter(fh);
    try {
      await out.add(`${JSON.stringify({ v: VERSION, gen })}\n`);
      let n = 0;
      for (const [k, json] of set) {
        await out.add(`[${JSON.stringify(k)},${json}]\n`);
        n++;
      }
      await out.add(`${JSON.stringify({ entries: n })}\n`);
      await out.flush();
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.basePath);
    await syncDir(this.dir);
    // From here the base of `gen` is the state; the old journal is stale until replaced.
    this.gen = gen;
    this.baseBytes = out.written;
    await this.journal?.close();
    this.journal = undefined;
    const header = Buffer.from(`${JSON.stringify({ v: VERSION, gen })}\n`);
    const jh = await open(`${this.journalPath}.tmp`, 'w');
    try {
      await writeAll(jh, header);
      await jh.sync();
    } finally {
      await jh.close();
    }
    await rename(`${this.journalPath}.tmp`, this.journalPath);
    await syncDir(this.dir);
    this.journalBytes = header.length;
    this.mustRewrite = false;
    return out.written + header.length;
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

/** Lines written in chunks of about WRITE_CHUNK_BYTES: a save holds one chunk, however large it is. */
class ChunkWriter {
  written = 0;
  private cur: string[] = [];
  private size = 0;

  constructor(private readonly fh: FileHandle) {}

  async add(line: string): Promise<void> {
    this.cur.push(line);
    this.size += line.length;
    if (this.size >= WRITE_CHUNK_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.cur.length === 0) return;
    const buf = Buffer.from(this.cur.join(''));
    this.cur = [];
    this.size = 0;
    await writeAll(this.fh, buf);
    this.written += buf.length;
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
