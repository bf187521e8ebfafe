// The checkpoint registry: one JSON file under <dataDir>/registry/ holding, per (input, file identity), the
// committed offset and the parser state at that offset, plus named extras (the detection engine's state).
// Invariants:
// - Versioned, validated with zod on load; anything unreadable is reported and set aside, never a crash.
// - Written atomically: temp file, fsync, then the current file becomes `.prev` and the temp file becomes
//   current (rename), then the directory is fsync'd. A crash at any point leaves a current or a previous good
//   copy; load tries current, then previous.
// - Writes are serialised; `flush()` is a no-op when nothing changed.

import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { describeError } from '../pipeline/errors.js';
import type { Logger } from '../telemetry/logger.types.js';
import {
  registryCorrupt,
  registryWriteFailed,
  registryWriteFailedAgain,
  registryWriteRecovered,
} from '../telemetry/input-events.js';

export const REGISTRY_VERSION = 1;

const Checkpoint = z.object({
  inputId: z.string(),
  /** File identity: hash of the first bytes when the file was first seen. Stable for the file's life. */
  fingerprint: z.string(),
  /** How many leading bytes `matchHash` covers (grows with a small file, up to the fingerprint size). */
  matchLen: z.number().int().nonnegative(),
  matchHash: z.string(),
  path: z.string(),
  /** Committed offset: everything before it is delivered or dead-lettered. */
  offset: z.number().int().nonnegative(),
  /** The file was read to the end as a complete file (export, gzip) up to `offset`. */
  done: z.boolean().optional(),
  format: z.string().optional(),
  parserState: z.unknown().optional(),
  updatedAt: z.string(),
});
export type Checkpoint = z.infer<typeof Checkpoint>;

const RegistryFile = z.object({
  version: z.literal(REGISTRY_VERSION),
  writtenAt: z.string(),
  files: z.array(Checkpoint),
  extras: z.record(z.string(), z.unknown()),
});
type RegistryFile = z.infer<typeof RegistryFile>;

export interface RegistryOptions {
  /** Folder name under dataDir (default `registry`). */
  readonly dirName?: string;
}

const key = (inputId: string, fingerprint: string): string => `${inputId}\u0000${fingerprint}`;

export class Registry {
  private readonly files = new Map<string, Checkpoint>();
  private readonly extras = new Map<string, unknown>();
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  /** Bytes written to the registry's files since it was opened (for the benchmarks and a report). */
  bytesWritten = 0;
  /** The current write outage: since when, and how many writes failed (reported once, not per write). */
  private outage: { since: number; failed: number } | undefined;

  private constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  get file(): string {
    return path.join(this.dir, 'registry.json');
  }

  /** Load (or create) the registry in `dataDir`. A corrupt file is reported and recovered from. */
  static async open(dataDir: string, logger: Logger, options: RegistryOptions = {}): Promise<Registry> {
    const dir = path.join(dataDir, options.dirName ?? 'registry');
    await mkdir(dir, { recursive: true });
    const reg = new Registry(dir, logger);
    await reg.load();
    return reg;
  }

  private async load(): Promise<void> {
    const current = this.file;
    const prev = `${current}.prev`;
    await rm(`${current}.tmp`, { force: true });
    const first = await readRegistry(current);
    let chosen: RegistryFile | undefined;
    if (first.kind === 'ok') chosen = first.data;
    else {
      const second = await readRegistry(prev);
      if (second.kind === 'ok') chosen = second.data;
      if (first.kind === 'bad') {
        const keptAs = `${current}.corrupt-${Date.now()}`;
        await rename(current, keptAs).catch(() => undefined);
        registryCorrupt(this.logger, {
          path: current,
          error: first.error,
          recoveredFrom: second.kind === 'ok' ? prev : 'empty registry',
          keptAs,
        });
        this.dirty = true;
      } else if (second.kind === 'bad') {
        registryCorrupt(this.logger, { path: prev, error: second.error, recoveredFrom: 'empty registry' });
      } else if (second.kind === 'ok') {
        // Crash between the two renames of a write: the previous copy is the latest good one.
        this.dirty = true;
      }
    }
    if (!chosen) return;
    for (const cp of chosen.files) this.files.set(key(cp.inputId, cp.fingerprint), cp);
    for (const [name, value] of Object.entries(chosen.extras)) this.extras.set(name, value);
  }

  get(inputId: string, fingerprint: string): Checkpoint | undefined {
    return this.files.get(key(inputId, fingerprint));
  }

  /** Every checkpoint of one input. */
  entries(inputId: string): Checkpoint[] {
    const out: Checkpoint[] = [];
    for (const cp of this.files.values()) if (cp.inputId === inputId) out.push(cp);
    return out;
  }

  put(cp: Checkpoint): void {
    this.files.set(key(cp.inputId, cp.fingerprint), cp);
    this.dirty = true;
  }

  remove(inputId: string, fingerprint: string): void {
    if (this.files.delete(key(inputId, fingerprint))) this.dirty = true;
  }

  getExtra(name: string): unknown {
    return this.extras.get(name);
  }

  setExtra(name: string, value: unknown): void {
    this.extras.set(name, value);
    this.dirty = true;
  }

  /** Mark that a checkpoint object was changed in place. */
  touch(): void {
    this.dirty = true;
  }

  /** Write the registry if anything changed. Resolves once it is durable on disk. */
  flush(): Promise<void> {
    const next = this.writing.then(() => this.writeIfDirty());
    this.writing = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
  }

  private async writeIfDirty(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const body: RegistryFile = {
      version: REGISTRY_VERSION,
      writtenAt: new Date().toISOString(),
      files: [...this.files.values()],
      extras: Object.fromEntries(this.extras),
    };
    const current = this.file;
    const tmp = `${current}.tmp`;
    try {
      const fh = await open(tmp, 'w');
      try {
        const text = JSON.stringify(body);
        await fh.writeFile(text);
        this.bytesWritten += Buffer.byteLength(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(current, `${current}.prev`).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      await rename(tmp, current);
      await syncDir(this.dir);
    } catch (err) {
      this.dirty = true;
      if (this.outage) {
        this.outage.failed += 1;
        registryWriteFailedAgain();
      } else {
        this.outage = { since: Date.now(), failed: 1 };
        registryWriteFailed(this.logger, { path: current, error: describeError(err) });
      }
      throw new RegistryWriteError(describeError(err));
    }
    if (this.outage) {
      registryWriteRecovered(this.logger, {
        path: current,
        failedWrites: this.outage.failed,
        durationMs: Date.now() - this.outage.since,
      });
      this.outage = undefined;
    }
  }
}

/** A registry write failed; already reported by the registry (once per outage), so callers need not log it. */
export class RegistryWriteError extends Error {
  readonly code = 'registry_write_failed';
  constructor(message: string) {
    super(`checkpoint registry not written: ${message}`);
    this.name = 'RegistryWriteError';
  }
}

type ReadResult = { kind: 'ok'; data: RegistryFile } | { kind: 'missing' } | { kind: 'bad'; error: string };

async function readRegistry(file: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'bad', error: describeError(err) };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { kind: 'bad', error: `not JSON: ${describeError(err)}` };
  }
  const parsed = RegistryFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'bad', error: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
  }
  return { kind: 'ok', data: parsed.data };
}

/** fsync the directory so the renames are durable (not possible on Windows; harmless to skip there). */
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
