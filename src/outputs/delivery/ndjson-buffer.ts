// The memory behind batches: a growable UTF-8 buffer the bulk lines of one batch are written into, and a small
// pool of such buffers for reuse.
//
// A batch buffer goes back to the pool once every document in it is settled (a batch is never sent again after
// that), so a steady flow reuses a few buffers instead of leaving one large garbage buffer per request for the
// old-space GC (measured: about 60 MB less peak RSS).

const EMPTY = Buffer.alloc(0);

/**
 * Smallest first buffer of a batch. The first buffer is sized after the previous batch (plus an eighth), so a
 * steady flow of full batches is written without a growth copy, and a quiet period's batches shrink back.
 */
export const MIN_BATCH_BUFFER = 64 * 1024;

/** A few free batch buffers for reuse (the largest are kept). */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(private readonly keep: number) {}

  take(min: number): Buffer {
    for (let i = 0; i < this.free.length; i++) {
      if (this.free[i]!.length >= min) return this.free.splice(i, 1)[0]!;
    }
    // Sizes in whole 64 KiB steps, so buffers of nearly equal batches fit each other.
    return Buffer.allocUnsafeSlow(Math.ceil(min / 65536) * 65536);
  }

  give(b: Buffer): void {
    if (this.free.length < this.keep) {
      this.free.push(b);
      return;
    }
    let smallest = 0;
    for (let i = 1; i < this.free.length; i++)
      if (this.free[i]!.length < this.free[smallest]!.length) smallest = i;
    if (this.free[smallest]!.length < b.length) this.free[smallest] = b;
  }
}

/**
 * A growable byte buffer the bulk lines of one batch are written into. Entries point into it by offsets; when
 * it grows, the holder swaps `buf` for a larger copy (same offsets), so entries never hold a stale buffer.
 * `pending` counts the unsettled entries in it; at zero (and sealed) its memory goes back to the pool, and
 * `buf` becomes empty so that a use after release reads nothing instead of another batch's bytes.
 */
export class NdjsonBuffer {
  buf: Buffer;
  len = 0;
  pending = 0;

  constructor(
    initial: number,
    private readonly cap: number,
    private readonly pool?: BufferPool,
  ) {
    this.buf = pool ? pool.take(initial) : Buffer.allocUnsafeSlow(initial);
  }

  release(): void {
    const b = this.buf;
    this.buf = EMPTY;
    if (this.pool && b !== EMPTY) this.pool.give(b);
  }

  /** Append `text` as UTF-8. */
  write(text: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit; only near the end of the buffer is the exact size asked.
    if (this.buf.length - this.len < text.length * 3) this.reserve(Buffer.byteLength(text));
    this.len += this.buf.write(text, this.len);
  }

  /** Append `bytes[start, end)` as they are (a pre-serialized document). */
  writeBytes(bytes: Buffer, start: number, end: number): void {
    const n = end - start;
    if (this.buf.length - this.len < n) this.reserve(n);
    // Buffer#copy of a range: no view object per piece (Node 22: about 20 ns a piece, against 60 for a
    // `subarray` and `TypedArray#set`).
    bytes.copy(this.buf, this.len, start, end);
    this.len += n;
  }

  newline(): void {
    if (this.len === this.buf.length) this.reserve(1);
    this.buf[this.len++] = 0x0a;
  }

  private reserve(bytes: number): void {
    const need = this.len + bytes;
    if (need <= this.buf.length) return;
    // Doubling up to the batch limit (plus the document that crosses it): a batch is copied at most a few times.
    const size = Math.max(need, Math.min(this.buf.length * 2, this.cap + bytes));
    const next = this.pool ? this.pool.take(size) : Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.len);
    // Nothing else refers to the old memory: a body is taken from a buffer only when its batch is sealed.
    if (this.pool) this.pool.give(this.buf);
    this.buf = next;
  }
}
