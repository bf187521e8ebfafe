// File identity and encoding. A file is identified by a hash of its first bytes (default 4 KiB, enough to
// hold the IIS `#Date` line and the first requests, and the HttpProxy CSV header plus its `#Date`), not by its
// path and not by inode alone: a renamed or copied file keeps its identity, a truncated or replaced one gets
// a new one. A file shorter than the fingerprint size is read too: its identity is the hash of the bytes it
// had when first seen; the checkpoint remembers how many bytes that hash covers (`matchLen`), so the file is
// still recognised after it grows, and the covered length is extended as it grows (the identity string,
// which is part of every document id, never changes). Gzip files are identified by their decompressed bytes,
// so `u_ex.log` and a later `u_ex.log.gz` of it are the same file.

import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { TextDecoder } from 'node:util';
import type { TextEncoding } from '../framing/framer.types.js';

export const DEFAULT_FINGERPRINT_BYTES = 4096;

/** A file's id on its device (`dev:ino`): tells a path renamed over or recreated from the file a reader holds. */
export const fileId = (st: { dev: bigint; ino: bigint }): string => `${st.dev}:${st.ino}`;

/**
 * The identity of a file that kept its first bytes but lost the data after them (truncated in place, then
 * written again): derived from the old identity, so it is the same after a crash and restart (the documents
 * read under it keep their ids), and different from it, so new records at offsets used before get new ids.
 */
export function nextGeneration(fingerprint: string): string {
  return hex128(createHash('sha256').update(`${fingerprint}\u0000truncated`));
}

/** Hash of the first `len` bytes of `head` (len ≤ head.length). */
export function prefixHash(head: Buffer, len: number): string {
  return hex128(createHash('sha256').update(head.subarray(0, len)));
}

/**
 * The first 128 bits of a digest as 32 hex digits (the same text as `digest('hex').slice(0, 32)`), as a string of
 * its own: a slice of the 64-digit text would keep the whole text alive for as long as the identity is held.
 */
function hex128(h: Hash): string {
  return h.digest().toString('hex', 0, 16);
}

/**
 * Hashes of several prefixes of `head` in one pass (ascending lengths), using incremental hashing so that
 * checking a new file against many small-file checkpoints stays cheap.
 */
export function prefixHashes(head: Buffer, lengths: readonly number[]): Map<number, string> {
  const out = new Map<number, string>();
  const sorted = [...new Set(lengths)].filter((n) => n > 0 && n <= head.length).sort((a, b) => a - b);
  const h: Hash = createHash('sha256');
  let fed = 0;
  for (const len of sorted) {
    h.update(head.subarray(fed, len));
    fed = len;
    out.set(len, hex128(h.copy()));
  }
  return out;
}

export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Encoding from the byte order mark; without one, UTF-16LE if the bytes look like it, else UTF-8. */
export function detectEncoding(head: Buffer): { encoding: TextEncoding; bomBytes: number } {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf)
    return { encoding: 'utf8', bomBytes: 3 };
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf16le', bomBytes: 2 };
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf16be', bomBytes: 2 };
  // BOM-less UTF-16LE text of ASCII characters: every odd byte is zero, every even byte is not.
  if (head.length >= 8) {
    let le = true;
    for (let i = 0; i + 1 < Math.min(head.length, 64); i += 2) {
      if (head[i] === 0 || head[i + 1] !== 0) {
        le = false;
        break;
      }
    }
    if (le) return { encoding: 'utf16le', bomBytes: 0 };
  }
  return { encoding: 'utf8', bomBytes: 0 };
}

/** The head decoded for format detection: BOM removed; binary magic such as 'ElfFile\0' stays readable. */
export function headText(head: Buffer): string {
  const { encoding, bomBytes } = detectEncoding(head);
  const body = head.subarray(bomBytes);
  if (encoding === 'utf8') return new TextDecoder('utf-8', { fatal: false }).decode(body);
  return new TextDecoder(encoding === 'utf16le' ? 'utf-16le' : 'utf-16be', { fatal: false }).decode(
    body.subarray(0, body.length - (body.length % 2)),
  );
}

/** Read up to `n` bytes at the start of an open file. */
export async function readHeadFromHandle(fh: FileHandle, n: number): Promise<Buffer> {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const { bytesRead } = await fh.read(buf, got, n - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** Up to `n` decompressed bytes from the start of a gzip file. */
export async function readGzipHead(file: string | Buffer, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  const src = createReadStream(file);
  const gunzip = createGunzip();
  src.pipe(gunzip);
  try {
    for await (const chunk of gunzip) {
      const b = chunk as Buffer;
      chunks.push(b);
      got += b.length;
      if (got >= n) break;
    }
  } finally {
    src.destroy();
    gunzip.destroy();
  }
  return Buffer.concat(chunks).subarray(0, n);
}
