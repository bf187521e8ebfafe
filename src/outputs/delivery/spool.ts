// The disk spool: batches that cannot be delivered while Elasticsearch is unreachable and memory is full.
// One file per batch, `seg-<seq>-<docs>.ndjson`, holding the batch's bulk NDJSON exactly as it will be sent.
// Invariants:
// - A segment exists under its final name only once its bytes are fsync'd: it is written as `*.tmp`, fsync'd,
//   renamed, and the directory fsync'd. So a SIGKILL leaves either a whole segment or a `.tmp` the next start
//   deletes (those documents were never acknowledged to the inputs, which re-read them).
// - Segments drain oldest first (sequence numbers). A segment is deleted only after every document in it was
//   delivered or dead-lettered (dead letters fsync'd first); a crash in between re-sends it, which `create`
//   with deterministic ids makes harmless (409 = delivered) and `index` makes idempotent.
// - Start-up lists the directory and reads nothing else, so a large spool cannot exhaust memory at start
//   (shippers.md C4, vector#26035). At most a few segments are loaded at a time.
// - Size is bounded (`maxBytes`). When full: `pause` (default) refuses the batch, so memory fills and inputs
//   stop reading; `drop-oldest` deletes the oldest segments not being sent and reports how many documents went.

import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';

export interface SpoolOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly whenFull: 'pause' | 'drop-oldest';
}

export interface SpoolSegment {
  readonly seq: number;
  readonly file: string;
  readonly docs: number;
  readonly bytes: number;
}

const SEGMENT_RE = /^seg-(\d{12})-(\d+)\.ndjson$/;

function fsyncDir(dir: string): void {
  // Makes the rename durable on Linux; opening a directory fails on Windows, where NTFS journals the rename.
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}

export class Spool {
  private readonly segments: SpoolSegment[] = [];
  private readonly loaded = new Set<number>();
  private nextSeq = 1;
  private totalBytes = 0;

  constructor(private readonly opts: SpoolOptions) {
    mkdirSync(opts.dir, { recursive: true });
    for (const name of readdirSync(opts.dir)) {
      const full = path.join(opts.dir, name);
      if (name.endsWith('.tmp')) {
        unlinkSync(full);
        continue;
      }
      const m = SEGMENT_RE.exec(name);
      if (!m) continue;
      const bytes = statSync(full).size;
      this.segments.push({ seq: Number(m[1]), docs: Number(m[2]), file: full, bytes });
      this.totalBytes += bytes;
    }
    this.segments.sort((a, b) => a.seq - b.seq);
    if (this.segments.length > 0) this.nextSeq = this.segments[this.segments.length - 1]!.seq + 1;
  }

  get dir(): string {
    return this.opts.dir;
  }
  get bytes(): number {
    return this.totalBytes;
  }
  get segmentCount(): number {
    return this.segments.length;
  }
  get documentCount(): number {
    return this.segments.reduce((n, s) => n + s.docs, 0);
  }
  /** True while any segment exists (loaded or not). */
  get hasData(): boolean {
    return this.segments.length > 0;
  }
  get loadedCount(): number {
    return this.loaded.size;
  }
  hasUnloaded(): boolean {
    return this.segments.length > this.loaded.size;
  }

  get maxBytes(): number {
    return this.opts.maxBytes;
  }
  get whenFull(): 'pause' | 'drop-oldest' {
    return this.opts.whenFull;
  }

  /**
   * Write a batch durably. `ok` is false when the spool is full and `whenFull` is `pause` (or nothing could be
   * dropped to make room). `dropped` lists segments deleted to make room (drop-oldest).
   */
  append(
    body: string | Buffer,
    docs: number,
  ): { ok: boolean; dropped: { documents: number; segment: string }[] } {
    const bytes = Buffer.byteLength(body);
    const dropped: { documents: number; segment: string }[] = [];
    if (this.totalBytes + bytes > this.opts.maxBytes) {
      if (this.opts.whenFull === 'pause') return { ok: false, dropped };
      while (this.totalBytes + bytes > this.opts.maxBytes) {
        const victim = this.segments.find((s) => !this.loaded.has(s.seq));
        if (!victim) return { ok: false, dropped };
        this.remove(victim);
        dropped.push({ documents: victim.docs, segment: path.basename(victim.file) });
      }
    }
    const seq = this.nextSeq++;
    const file = path.join(this.opts.dir, `seg-${String(seq).padStart(12, '0')}-${docs}.ndjson`);
    const tmp = `${file}.tmp`;
    try {
      const fd = openSync(tmp, 'w');
      try {
        const buf = typeof body === 'string' ? Buffer.from(body) : body;
        let off = 0;
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // nothing to clean up
      }
      this.nextSeq -= 1;
      throw e;
    }
    fsyncDir(this.opts.dir);
    this.segments.push({ seq, file, docs, bytes });
    this.totalBytes += bytes;
    return { ok: true, dropped };
  }

  /** The oldest segment not being sent, read into memory and marked as being sent. */
  takeOldest(): { segment: SpoolSegment; body: string } | undefined {
    const seg = this.segments.find((s) => !this.loaded.has(s.seq));
    if (!seg) return undefined;
    this.loaded.add(seg.seq);
    return { segment: seg, body: readFileSync(seg.file, 'utf8') };
  }

  /** Delete a segment whose documents are all delivered or dead-lettered. */
  remove(seg: SpoolSegment): void {
    const i = this.segments.findIndex((s) => s.seq === seg.seq);
    if (i < 0) return;
    this.segments.splice(i, 1);
    this.loaded.delete(seg.seq);
    this.totalBytes -= seg.bytes;
    try {
      unlinkSync(seg.file);
    } catch {
      // already gone
    }
  }
}

export interface SpooledItem {
  readonly op: 'create' | 'index';
  readonly index: string;
  readonly id: string;
  /** `action\nsource\n`, ready to be sent again. */
  readonly lines: string;
}

/** Split a segment body back into bulk items. Unreadable pairs are returned separately with their text. */
export function parseSegment(body: string): { items: SpooledItem[]; bad: string[] } {
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const items: SpooledItem[] = [];
  const bad: string[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const action = lines[i]!;
    const source = lines[i + 1];
    try {
      if (source === undefined) throw new Error('missing source line');
      const parsed = JSON.parse(action) as Record<string, { _index?: unknown; _id?: unknown }>;
      const op = Object.keys(parsed)[0];
      const meta = op === undefined ? undefined : parsed[op];
      if (
        (op !== 'create' && op !== 'index') ||
        typeof meta?._index !== 'string' ||
        typeof meta._id !== 'string'
      ) {
        throw new Error('not a create/index action');
      }
      items.push({ op, index: meta._index, id: meta._id, lines: `${action}\n${source}\n` });
    } catch {
      bad.push(source === undefined ? action : `${action}\n${source}`);
    }
  }
  return { items, bad };
}
