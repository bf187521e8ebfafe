// Builds small synthetic .evtx files token by token, so tests can exercise BinXml features the corpus lacks
// (processing instructions, CDATA, character and entity references, typed arrays, deep nesting, hostile
// template references) with exactly known expected output. Writes real CRCs, so a clean file has no warnings.

import { crc32 } from 'node:zlib';

export interface Value {
  type: number;
  bytes: Buffer;
}

export type ValueSpec = Value | ((w: ChunkWriter) => void);

export const str = (s: string): Value => ({ type: 0x01, bytes: Buffer.from(s, 'utf16le') });
export const u8v = (n: number): Value => ({ type: 0x04, bytes: Buffer.from([n]) });
export const u16v = (n: number): Value => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return { type: 0x06, bytes: b };
};
export const u32v = (n: number): Value => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return { type: 0x08, bytes: b };
};
export const u64v = (n: bigint, type = 0x0a): Value => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return { type, bytes: b };
};
export const nullv = (): Value => ({ type: 0x00, bytes: Buffer.alloc(0) });
export const strArray = (...items: string[]): Value => ({
  type: 0x81,
  bytes: Buffer.from(items.map((s) => s + '\0').join(''), 'utf16le'),
});
export const filetimev = (iso: string, extraTicks = 0n): Value =>
  u64v((BigInt(Date.parse(iso)) + 11644473600000n) * 10000n + extraTicks, 0x11);

/** Writes BinXml into a chunk buffer at absolute chunk offsets (names and templates are chunk-relative). */
export class ChunkWriter {
  readonly buf = Buffer.alloc(65536);
  pos = 512;
  private readonly names = new Map<string, number>();
  private firstId = 0n;
  private lastId = 0n;
  private lastRecordOffset = 0;

  u8(v: number): this {
    this.buf[this.pos++] = v;
    return this;
  }
  u16(v: number): this {
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
    return this;
  }
  u32(v: number): this {
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }
  bytes(b: Buffer): this {
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }
  chars(s: string): this {
    return this.u16(s.length).bytes(Buffer.from(s, 'utf16le'));
  }

  /** A name reference: inline on first use in the chunk, a back reference afterwards. */
  name(n: string): this {
    const known = this.names.get(n);
    if (known !== undefined) return this.u32(known);
    const at = this.pos + 4;
    this.names.set(n, at);
    return this.u32(at).u32(0).u16(0).chars(n).u16(0);
  }

  fragment(): this {
    return this.u8(0x0f).u8(1).u8(1).u8(0);
  }
  eof(): this {
    return this.u8(0x00);
  }
  /** Element start; `dep` = inside a template definition (dependency id present). */
  open(name: string, attrs: boolean, dep: boolean): this {
    this.u8(attrs ? 0x41 : 0x01);
    if (dep) this.u16(0xffff);
    this.u32(0).name(name);
    return attrs ? this.u32(0) : this;
  }
  attr(name: string, more = false): this {
    return this.u8(more ? 0x46 : 0x06).name(name);
  }
  text(s: string): this {
    return this.u8(0x05).u8(0x01).chars(s);
  }
  subst(index: number, type: number, optional = false): this {
    return this.u8(optional ? 0x0e : 0x0d)
      .u16(index)
      .u8(type);
  }
  cdata(s: string): this {
    return this.u8(0x07).chars(s);
  }
  charRef(code: number): this {
    return this.u8(0x08).u16(code);
  }
  entityRef(name: string): this {
    return this.u8(0x09).name(name);
  }
  pi(target: string, data: string): this {
    this.u8(0x0a).name(target);
    return this.u8(0x0b).chars(data);
  }
  closeStart(): this {
    return this.u8(0x02);
  }
  closeEmpty(): this {
    return this.u8(0x03);
  }
  end(): this {
    return this.u8(0x04);
  }

  /** A template instance with its definition inline; returns the definition's chunk offset. */
  instance(definition: (w: this, defOffset: number) => void, values: ValueSpec[], templateId = 1): number {
    this.u8(0x0c).u8(1).u32(templateId);
    const defOffset = this.pos + 4;
    this.u32(defOffset).u32(0).bytes(Buffer.alloc(16, 0xab));
    const sizeAt = this.pos;
    this.u32(0);
    const start = this.pos;
    definition(this, defOffset);
    this.buf.writeUInt32LE(this.pos - start, sizeAt);
    this.values(values);
    return defOffset;
  }
  /** A template instance referring back to a definition written earlier in the chunk. */
  instanceOf(defOffset: number, values: ValueSpec[], templateId = 1): this {
    this.u8(0x0c).u8(1).u32(templateId).u32(defOffset);
    return this.values(values);
  }
  /** Instance data; a function value is embedded BinXml (type 0x21) written in place. */
  values(values: ValueSpec[]): this {
    this.u32(values.length);
    const descriptors = this.pos;
    this.pos += values.length * 4;
    values.forEach((v, i) => {
      const start = this.pos;
      let type: number;
      if (typeof v === 'function') {
        v(this);
        type = 0x21;
      } else {
        this.bytes(v.bytes);
        type = v.type;
      }
      this.buf.writeUInt16LE(this.pos - start, descriptors + i * 4);
      this.buf[descriptors + i * 4 + 2] = type;
      this.buf[descriptors + i * 4 + 3] = 0;
    });
    return this;
  }

  /** Wrap the BinXml written by `body` in a record with id `id`; returns the record's chunk offset. */
  record(id: bigint, body: (w: this) => void, written = '2024-01-02T03:04:05.000Z'): number {
    const start = this.pos;
    this.u32(0x2a2a).u32(0);
    this.buf.writeBigUInt64LE(id, this.pos);
    this.pos += 8;
    this.buf.writeBigUInt64LE((BigInt(Date.parse(written)) + 11644473600000n) * 10000n, this.pos);
    this.pos += 8;
    body(this);
    const size = this.pos + 4 - start;
    this.u32(size);
    this.buf.writeUInt32LE(size, start + 4);
    if (this.firstId === 0n) this.firstId = id;
    this.lastId = id;
    this.lastRecordOffset = start;
    return start;
  }

  /** The finished 64 KiB chunk with a valid header and CRCs. */
  chunk(): Buffer {
    const b = this.buf;
    b.write('ElfChnk\0', 0, 'latin1');
    b.writeBigUInt64LE(this.firstId, 8);
    b.writeBigUInt64LE(this.lastId, 16);
    b.writeBigUInt64LE(this.firstId, 24);
    b.writeBigUInt64LE(this.lastId, 32);
    b.writeUInt32LE(128, 40);
    b.writeUInt32LE(this.lastRecordOffset, 44);
    b.writeUInt32LE(this.pos, 48);
    b.writeUInt32LE(crc32(b.subarray(512, this.pos)), 52);
    b.writeUInt32LE(1, 120);
    b.writeUInt32LE(crc32(b.subarray(128, 512), crc32(b.subarray(0, 120))), 124);
    return b;
  }
}

/** A file header for `chunks` chunks, with a valid CRC. */
export function fileHeader(chunks: number, nextRecordId: bigint): Buffer {
  const b = Buffer.alloc(4096);
  b.write('ElfFile\0', 0, 'latin1');
  b.writeBigUInt64LE(0n, 8);
  b.writeBigUInt64LE(BigInt(Math.max(0, chunks - 1)), 16);
  b.writeBigUInt64LE(nextRecordId, 24);
  b.writeUInt32LE(128, 32);
  b.writeUInt16LE(1, 36);
  b.writeUInt16LE(3, 38);
  b.writeUInt16LE(4096, 40);
  b.writeUInt16LE(chunks, 42);
  b.writeUInt32LE(crc32(b.subarray(0, 120)), 124);
  return b;
}

export function evtxFile(...chunks: Buffer[]): Buffer {
  return Buffer.concat([fileHeader(chunks.length, 1000n), ...chunks]);
}

/** The usual System block as a template definition over values 0..5. */
export function systemTemplate(w: ChunkWriter, eventData: (w: ChunkWriter) => void): void {
  w.fragment();
  w.open('Event', true, true)
    .attr('xmlns')
    .text('http://schemas.microsoft.com/win/2004/08/events/event')
    .closeStart();
  w.open('System', false, true).closeStart();
  w.open('Provider', true, true)
    .attr('Name', true)
    .subst(0, 0x01, true)
    .attr('Guid')
    .subst(5, 0x0f, true)
    .closeEmpty();
  w.open('EventID', true, true)
    .attr('Qualifiers')
    .subst(1, 0x06, true)
    .closeStart()
    .subst(2, 0x06, true)
    .end();
  w.open('TimeCreated', true, true).attr('SystemTime').subst(3, 0x11, true).closeEmpty();
  w.open('EventRecordID', false, true).closeStart().subst(4, 0x0a, true).end();
  w.open('Channel', false, true).closeStart().text('Application').end();
  w.open('Computer', false, true).closeStart().text('EXCH01.contoso.local').end();
  w.end(); // System
  eventData(w);
  w.end(); // Event
  w.eof();
}
