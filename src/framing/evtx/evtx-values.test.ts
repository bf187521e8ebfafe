import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EvtxFormatError } from './evtx-errors.js';
import { arrayItems, filetime, guid, scalar, sid, systemtime } from './evtx-values.js';

const le32 = (...values: number[]): Buffer => {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32LE(v >>> 0, i * 4));
  return b;
};
const u64 = (v: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b;
};
const i64 = (v: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(v);
  return b;
};
const utf16z = (...items: string[]): Buffer => Buffer.from(items.map((s) => s + '\0').join(''), 'utf16le');

test('FILETIME renders with 7 fractional digits and Z, as Windows exports it', () => {
  // 2025-06-02T16:47:29.6265364Z, from ts-evtx-fixtures/Application.xml
  const ticks = (BigInt(Date.UTC(2025, 5, 2, 16, 47, 29)) / 1000n + 11644473600n) * 10000000n + 6265364n;
  assert.equal(filetime(u64(ticks), 0), '2025-06-02T16:47:29.6265364Z');
  assert.equal(filetime(u64(0n), 0), '1601-01-01T00:00:00.0000000Z');
});

test('FILETIME beyond the fast path is still exact', () => {
  const ticks = 0x10000000n * 4294967296n + 1234567n;
  const seconds = ticks / 10000000n;
  const expected = new Date(Number(seconds - 11644473600n) * 1000).toISOString().slice(0, 19);
  assert.equal(filetime(u64(ticks), 0), `${expected}.${String(ticks % 10000000n).padStart(7, '0')}Z`);
});

test('signed 32-bit integers are two’s complement (Windows shows -2147024894)', () => {
  assert.equal(scalar(0x07, le32(0x80070002), 0, 4), '-2147024894');
  assert.equal(scalar(0x08, le32(0x80070002), 0, 4), '2147942402');
});

test('64-bit integers are exact decimal strings beyond 2^53', () => {
  assert.equal(scalar(0x0a, u64(18446744073709551615n), 0, 8), '18446744073709551615');
  assert.equal(scalar(0x09, i64(-9223372036854775807n), 0, 8), '-9223372036854775807');
  assert.equal(scalar(0x0a, u64(9007199254740993n), 0, 8), '9007199254740993');
  assert.equal(scalar(0x0a, u64(42n), 0, 8), '42');
});

test('hex integers are 0x + lower-case hex without padding', () => {
  assert.equal(scalar(0x14, le32(0x1e), 0, 4), '0x1e');
  assert.equal(scalar(0x15, u64(0x3e7n), 0, 8), '0x3e7');
  assert.equal(scalar(0x15, u64(0x80000000000000n), 0, 8), '0x80000000000000');
  assert.equal(scalar(0x15, u64(0x8020000000000001n), 0, 8), '0x8020000000000001');
});

test('SizeT renders as hex of its width', () => {
  assert.equal(scalar(0x10, le32(0x1508), 0, 4), '0x1508');
  assert.equal(scalar(0x10, u64(0x7ff6a0001000n), 0, 8), '0x7ff6a0001000');
});

test('booleans: any non-zero value is true', () => {
  assert.equal(scalar(0x0d, le32(0), 0, 4), 'false');
  assert.equal(scalar(0x0d, le32(1), 0, 4), 'true');
  assert.equal(scalar(0x0d, le32(0xff00), 0, 4), 'true');
});

test('binary is upper-case hex without separators', () => {
  assert.equal(scalar(0x0e, Buffer.from([0xd9, 0x06, 0, 0]), 0, 4), 'D9060000');
});

test('GUIDs: little-endian first three groups, lower case, in braces', () => {
  const b = Buffer.from('8954a94547c1cd4a923f40c45405a658', 'hex');
  assert.equal(guid(b, 0), '{45a95489-c147-4acd-923f-40c45405a658}');
});

test('SIDs render as S-R-A-sub..., and a truncated SID is an error', () => {
  const b = Buffer.concat([Buffer.from([1, 2, 0, 0, 0, 0, 0, 5]), le32(32, 544)]);
  assert.equal(sid(b, 0, b.length).text, 'S-1-5-32-544');
  assert.equal(scalar(0x13, Buffer.from([1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]), 0, 12), 'S-1-5-18');
  assert.throws(() => sid(b, 0, 12), EvtxFormatError);
});

test('SYSTEMTIME renders as ISO 8601 UTC with milliseconds', () => {
  const b = Buffer.alloc(16);
  [2013, 8, 4, 1, 10, 5, 9, 123].forEach((v, i) => b.writeUInt16LE(v, i * 2));
  assert.equal(systemtime(b, 0), '2013-08-01T10:05:09.123Z');
});

test('floats: float32 prints its shortest round-trip form', () => {
  const f = Buffer.alloc(4);
  f.writeFloatLE(0.1);
  assert.equal(scalar(0x0b, f, 0, 4), '0.1');
  const d = Buffer.alloc(8);
  d.writeDoubleLE(-2.5e-7);
  assert.equal(scalar(0x0c, d, 0, 8), '-2.5e-7');
});

test('strings stop at the first NUL', () => {
  const b = Buffer.from('abc\0junk', 'utf16le');
  assert.equal(scalar(0x01, b, 0, b.length), 'abc');
});

test('string arrays split into items, keeping empty items but not the final terminator', () => {
  const b = utf16z('Install-TransportAgent', '', '54');
  assert.deepEqual(arrayItems(0x81, b, 0, b.length), ['Install-TransportAgent', '', '54']);
  const unterminated = Buffer.from('a\0b', 'utf16le');
  assert.deepEqual(arrayItems(0x81, unterminated, 0, unterminated.length), ['a', 'b']);
  assert.deepEqual(arrayItems(0x81, Buffer.alloc(0), 0, 0), []);
});

test('fixed-size arrays split by item size', () => {
  const b = le32(1, 0xffffffff, 3);
  assert.deepEqual(arrayItems(0x87, b, 0, 12), ['1', '-1', '3']);
  assert.deepEqual(arrayItems(0x94, b, 0, 12), ['0x1', '0xffffffff', '0x3']);
});

test('a value too short for its type is an error, not a misread', () => {
  assert.throws(() => scalar(0x0a, Buffer.alloc(4), 0, 4), EvtxFormatError);
  assert.throws(() => scalar(0x77, Buffer.alloc(4), 0, 4), EvtxFormatError);
});

test('lone surrogates from damaged UTF-16 become U+FFFD, as libevtx renders them', () => {
  const b = Buffer.from([0x40, 0xd9, 0x5f, 0x5a, 0x41, 0x00]); // lone high surrogate, U+5A5F, 'A'
  assert.equal(scalar(0x01, b, 0, b.length), '\ufffd\u5a5fA');
  assert.deepEqual(arrayItems(0x81, b, 0, b.length), ['\ufffd\u5a5fA']);
});
