// Formatting of BinXml substitution values the way Windows renders them in its XML export (evtx.md 1.6):
// decimal integers (64-bit exact), `0x` + unpadded lower-case hex for HexInt32/64 and SizeT, upper-case hex
// for binary, FILETIME with 7 fractional digits, SIDs as S-R-A-..., GUID values lower case in braces as current
// Windows renders them (older Windows, libevtx and the Rust crate print upper case; compare case-insensitively).
// All readers are bounds-checked by the caller: every function receives a range known to lie in the buffer.

import { EvtxFormatError } from './evtx-errors.js';

const TWO_32 = 4294967296;
/** Seconds between 1601-01-01 and 1970-01-01. */
const EPOCH_DELTA_S = 11644473600;
const ansiDecoder = new TextDecoder('windows-1252');

export const ValueType = {
  Null: 0x00,
  String: 0x01,
  AnsiString: 0x02,
  Int8: 0x03,
  UInt8: 0x04,
  Int16: 0x05,
  UInt16: 0x06,
  Int32: 0x07,
  UInt32: 0x08,
  Int64: 0x09,
  UInt64: 0x0a,
  Real32: 0x0b,
  Real64: 0x0c,
  Bool: 0x0d,
  Binary: 0x0e,
  Guid: 0x0f,
  SizeT: 0x10,
  FileTime: 0x11,
  SystemTime: 0x12,
  Sid: 0x13,
  HexInt32: 0x14,
  HexInt64: 0x15,
  EvtHandle: 0x20,
  BinXml: 0x21,
  EvtXml: 0x23,
  ArrayFlag: 0x80,
} as const;

interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * Lone surrogates (damaged or truncated UTF-16, e.g. python-evtx issue 43) become U+FFFD, as libevtx does,
 * so every string we emit is valid Unicode and serialises to JSON that Elasticsearch accepts.
 */
export function wellFormed(s: string): string {
  const w = s as unknown as WellFormed;
  return w.isWellFormed() ? s : w.toWellFormed();
}

/** UTF-16LE text, cut at the first NUL (Windows strings in values are often NUL-terminated or padded). */
export function utf16(buf: Buffer, start: number, end: number): string {
  if (end - start < 2) return '';
  const s = buf.toString('utf16le', start, start + ((end - start) & ~1));
  const nul = s.indexOf('\0');
  return wellFormed(nul === -1 ? s : s.slice(0, nul));
}

export function ansi(buf: Buffer, start: number, end: number): string {
  let stop = start;
  while (stop < end && buf[stop] !== 0) stop++;
  return ansiDecoder.decode(buf.subarray(start, stop));
}

export function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

export function hex64(lo: number, hi: number): string {
  if (hi === 0) return '0x' + (lo >>> 0).toString(16);
  return '0x' + (hi >>> 0).toString(16) + (lo >>> 0).toString(16).padStart(8, '0');
}

export function uint64(buf: Buffer, off: number): string {
  const hi = buf.readUInt32LE(off + 4);
  if (hi < 0x200000) return String(hi * TWO_32 + buf.readUInt32LE(off));
  return buf.readBigUInt64LE(off).toString();
}

export function int64(buf: Buffer, off: number): string {
  const hi = buf.readInt32LE(off + 4);
  if (hi >= 0 && hi < 0x200000) return String(hi * TWO_32 + buf.readUInt32LE(off));
  return buf.readBigInt64LE(off).toString();
}

export function upperHex(buf: Buffer, start: number, end: number): string {
  return buf.toString('hex', start, end).toUpperCase();
}

export function guid(buf: Buffer, off: number): string {
  const h = buf.toString('hex', off, off + 16);
  // Data1..Data3 are little-endian integers; Data4 is 8 bytes as stored.
  return (
    '{' +
    h.slice(6, 8) +
    h.slice(4, 6) +
    h.slice(2, 4) +
    h.slice(0, 2) +
    '-' +
    h.slice(10, 12) +
    h.slice(8, 10) +
    '-' +
    h.slice(14, 16) +
    h.slice(12, 14) +
    '-' +
    h.slice(16, 20) +
    '-' +
    h.slice(20, 32) +
    '}'
  );
}

/** FILETIME (100 ns ticks since 1601) as `YYYY-MM-DDTHH:MM:SS.fffffffZ`. */
export function filetime(buf: Buffer, off: number): string {
  const lo = buf.readUInt32LE(off);
  const hi = buf.readUInt32LE(off + 4);
  let seconds: number;
  let frac: number;
  if (hi < 0x10000000) {
    // 2^32 = 429 * 1e7 + 4967296; every product stays below 2^53, so this is exact without BigInt.
    const rest = hi * 4967296 + lo;
    seconds = hi * 429 + Math.floor(rest / 1e7);
    frac = rest % 1e7;
  } else {
    const ticks = buf.readBigUInt64LE(off);
    seconds = Number(ticks / 10000000n);
    frac = Number(ticks % 10000000n);
  }
  const ms = (seconds - EPOCH_DELTA_S) * 1000;
  if (!(ms >= -8.64e15 && ms <= 8.64e15))
    throw new EvtxFormatError('evtx.binxml_value', 'FILETIME out of range');
  const iso = new Date(ms).toISOString();
  return iso.slice(0, iso.length - 5) + '.' + String(frac).padStart(7, '0') + 'Z';
}

/** SYSTEMTIME (8 x u16) as ISO 8601 UTC with milliseconds. */
export function systemtime(buf: Buffer, off: number): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const year = buf.readUInt16LE(off);
  const month = buf.readUInt16LE(off + 2);
  const day = buf.readUInt16LE(off + 6);
  const hour = buf.readUInt16LE(off + 8);
  const minute = buf.readUInt16LE(off + 10);
  const second = buf.readUInt16LE(off + 12);
  const milli = buf.readUInt16LE(off + 14);
  return (
    `${String(year).padStart(4, '0')}-${p2(month)}-${p2(day)}T${p2(hour)}:${p2(minute)}:${p2(second)}.` +
    `${String(milli).padStart(3, '0')}Z`
  );
}

/** A SID; returns its text and byte length. Throws when the declared sub-authorities do not fit. */
export function sid(buf: Buffer, off: number, end: number): { text: string; length: number } {
  if (end - off < 8) throw new EvtxFormatError('evtx.binxml_value', 'SID shorter than 8 bytes');
  const revision = buf[off]!;
  const count = buf[off + 1]!;
  const length = 8 + count * 4;
  if (off + length > end)
    throw new EvtxFormatError('evtx.binxml_value', `truncated SID (${count} sub-authorities)`);
  const authority = buf.readUIntBE(off + 2, 6);
  let text = `S-${revision}-${authority}`;
  for (let i = 0; i < count; i++) text += '-' + buf.readUInt32LE(off + 8 + i * 4);
  return { text, length };
}

/** Shortest decimal that reads back as the same float32 (what Rust's Display prints). */
export function real32(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let p = 1; p <= 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}

/** Byte size of one item of a fixed-size type, 0 for variable-size types. */
export function fixedSize(type: number): number {
  switch (type) {
    case ValueType.Int8:
    case ValueType.UInt8:
      return 1;
    case ValueType.Int16:
    case ValueType.UInt16:
      return 2;
    case ValueType.Int32:
    case ValueType.UInt32:
    case ValueType.Real32:
    case ValueType.Bool:
    case ValueType.HexInt32:
      return 4;
    case ValueType.Int64:
    case ValueType.UInt64:
    case ValueType.Real64:
    case ValueType.FileTime:
    case ValueType.HexInt64:
      return 8;
    case ValueType.Guid:
    case ValueType.SystemTime:
      return 16;
    default:
      return 0;
  }
}

/**
 * One scalar of a fixed-size or self-delimiting type at [off, end). `end - off` is the value's size from its
 * descriptor (or the item size inside an array).
 */
export function scalar(type: number, buf: Buffer, off: number, end: number): string {
  const size = end - off;
  const need = fixedSize(type);
  if (need > 0 && size < need) {
    throw new EvtxFormatError(
      'evtx.binxml_value',
      `value of type 0x${type.toString(16)} has ${size} bytes, needs ${need}`,
    );
  }
  switch (type) {
    case ValueType.Null:
      return '';
    case ValueType.String:
      return utf16(buf, off, end);
    case ValueType.AnsiString:
      return ansi(buf, off, end);
    case ValueType.Int8:
      return String(buf.readInt8(off));
    case ValueType.UInt8:
      return String(buf[off]);
    case ValueType.Int16:
      return String(buf.readInt16LE(off));
    case ValueType.UInt16:
      return String(buf.readUInt16LE(off));
    case ValueType.Int32:
      return String(buf.readInt32LE(off));
    case ValueType.UInt32:
      return String(buf.readUInt32LE(off));
    case ValueType.Int64:
      return int64(buf, off);
    case ValueType.UInt64:
      return uint64(buf, off);
    case ValueType.Real32:
      return real32(buf.readFloatLE(off));
    case ValueType.Real64:
      return String(buf.readDoubleLE(off));
    case ValueType.Bool:
      return buf.readUInt32LE(off) !== 0 ? 'true' : 'false';
    case ValueType.Binary:
      return upperHex(buf, off, end);
    case ValueType.Guid:
      return guid(buf, off);
    case ValueType.SizeT:
      if (size === 4) return hex32(buf.readUInt32LE(off));
      if (size === 8) return hex64(buf.readUInt32LE(off), buf.readUInt32LE(off + 4));
      throw new EvtxFormatError('evtx.binxml_value', `SizeT value of ${size} bytes`);
    case ValueType.FileTime:
      return filetime(buf, off);
    case ValueType.SystemTime:
      return systemtime(buf, off);
    case ValueType.Sid:
      return sid(buf, off, end).text;
    case ValueType.HexInt32:
      return hex32(buf.readUInt32LE(off));
    case ValueType.HexInt64:
      return hex64(buf.readUInt32LE(off), buf.readUInt32LE(off + 4));
    case ValueType.EvtHandle:
    case ValueType.EvtXml:
      // Never seen in files; keep the bytes rather than guess a rendering.
      return upperHex(buf, off, end);
    default:
      throw new EvtxFormatError('evtx.binxml_value', `unknown value type 0x${type.toString(16)}`);
  }
}

/** The items of an array value (type has the 0x80 flag), each formatted like its base type. */
export function arrayItems(type: number, buf: Buffer, off: number, end: number): string[] {
  const base = type & 0x7f;
  const items: string[] = [];
  if (base === ValueType.String) {
    // NUL-terminated UTF-16 items packed together; a last item may lack its terminator.
    const all = buf.toString('utf16le', off, off + ((end - off) & ~1));
    if (all.length === 0) return items;
    const parts = wellFormed(all).split('\0');
    if (parts[parts.length - 1] === '') parts.pop();
    return parts;
  }
  if (base === ValueType.AnsiString) {
    let start = off;
    for (let i = off; i < end; i++) {
      if (buf[i] === 0) {
        items.push(ansiDecoder.decode(buf.subarray(start, i)));
        start = i + 1;
      }
    }
    if (start < end) items.push(ansiDecoder.decode(buf.subarray(start, end)));
    return items;
  }
  if (base === ValueType.Sid) {
    let p = off;
    while (p < end) {
      const s = sid(buf, p, end);
      items.push(s.text);
      p += s.length;
    }
    return items;
  }
  let size = fixedSize(base);
  if (base === ValueType.SizeT) size = 8;
  if (size === 0)
    throw new EvtxFormatError('evtx.binxml_value', `unsupported array type 0x${type.toString(16)}`);
  for (let p = off; p + size <= end; p += size) items.push(scalar(base, buf, p, p + size));
  return items;
}
