// Reading the release archives back the way a user's tool would: yauzl for the zip (Expand-Archive's role),
// node-tar for the tarball (tar -xzf). Each entry keeps its name, bytes, mode and time so tests can check them.

import { createHash } from 'node:crypto';
import * as tar from 'tar';
import yauzl from 'yauzl';

export interface ReadEntry {
  readonly name: string;
  readonly data: Buffer;
  /** Unix mode bits (from the zip's external attributes or the tar header); 0 when absent. */
  readonly mode: number;
  readonly mtime: Date;
  readonly isDirectory: boolean;
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export function readZip(file: string): Promise<ReadEntry[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true }, (err, zip) => {
      if (err) return reject(err);
      const out: ReadEntry[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        const isDirectory = entry.fileName.endsWith('/');
        const mode = (entry.externalFileAttributes >>> 16) & 0o7777;
        if (isDirectory) {
          out.push({
            name: entry.fileName,
            data: Buffer.alloc(0),
            mode,
            mtime: entry.getLastModDate(),
            isDirectory,
          });
          zip.readEntry();
          return;
        }
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            out.push({
              name: entry.fileName,
              data: Buffer.concat(chunks),
              mode,
              mtime: entry.getLastModDate(),
              isDirectory,
            });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

export async function readTarGz(file: string): Promise<ReadEntry[]> {
  const out: ReadEntry[] = [];
  await tar.t({
    file,
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () =>
        out.push({
          name: entry.path,
          data: Buffer.concat(chunks),
          mode: entry.mode ?? 0,
          mtime: entry.mtime ?? new Date(0),
          isDirectory: entry.type === 'Directory',
        }),
      );
    },
  });
  return out;
}

/**
 * Checks files against the package's manifest.json the way install.ps1 does: every listed file present with
 * its SHA-256 and size, and nothing in the archive that the manifest does not list (besides itself and
 * SHA256SUMS). Returns the problems; empty means the package is whole.
 */
export function checkManifest(files: ReadonlyMap<string, Buffer>): string[] {
  const problems: string[] = [];
  const raw = files.get('manifest.json');
  if (!raw) return ['no manifest.json'];
  const manifest = JSON.parse(raw.toString('utf8')) as {
    files: Record<string, { sha256: string; size: number }>;
  };
  for (const [name, want] of Object.entries(manifest.files)) {
    const data = files.get(name);
    if (!data) problems.push(`${name}: listed, missing`);
    else if (sha256(data) !== want.sha256 || data.length !== want.size)
      problems.push(`${name}: sum or size differs`);
  }
  for (const name of files.keys()) {
    if (name !== 'manifest.json' && name !== 'SHA256SUMS' && !(name in manifest.files)) {
      problems.push(`${name}: in the archive, not in manifest.json`);
    }
  }
  const sums = files.get('SHA256SUMS')?.toString('utf8') ?? '';
  const fromSums = Object.fromEntries(
    sums
      .trim()
      .split('\n')
      .map((l) => /^([0-9a-f]{64}) {2}(.+)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [m[2]!, m[1]!]),
  );
  for (const [name, want] of Object.entries(manifest.files)) {
    if (fromSums[name] !== want.sha256) problems.push(`${name}: SHA256SUMS disagrees with manifest.json`);
  }
  return problems;
}

/** Entries below the archive's single top folder, keyed by their path inside it. */
export function underTop(entries: readonly ReadEntry[], top: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const e of entries) {
    if (e.isDirectory) continue;
    if (!e.name.startsWith(`${top}/`)) throw new Error(`${e.name} is outside ${top}/`);
    files.set(e.name.slice(top.length + 1), e.data);
  }
  return files;
}
