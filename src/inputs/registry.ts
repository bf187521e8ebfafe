// The checkpoint registry: one JSON file under <dataDir>/registry/ holding, per (input, file identity), the
// committed offset and the parser state at that offset, plus named extras (the detection engine's state).
// Invariants:
// - Versioned, validated with zod on load; anything unreadable is reported and set aside, never a crash.
// - Written atomically: temp file, fsync, then the current file becomes `.prev` and the temp file becomes
//   current (rename), then the directory is fsync'd. A crash at any point leaves a current or a previous good
//   copy; load tries current, then previous.
// - Writes are serialised; `flush()` is a no-op when nothing changed.
// - The checkpoints themselves live in `checkpoints.base` + `checkpoints.journal` (state-journal.ts): a flush
//   appends the checkpoints that changed (and the ones removed), so 20,000 files do not make every flush rewrite
//   megabytes; the journal is folded into a new base when it outgrows it. `registry.json` keeps the extras and
//   an empty `files` list (a registry.json of an older version, whose `files` held the checkpoints, is taken
//   over at the first start).

import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { describeError } from '../pipeline/errors.js';
import type { Logger } from '../telemetry/logger.types.js';
import { StateJournal } from './state-journal.js';
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

/** Name of the checkpoint files in the registry folder (`checkpoints.base`, `checkpoints.journal`). */
export const CHECKPOINT_FILES = 'checkpoints';

/** The checkpoints saved in a registry folder (for tests and tools; the agent uses `Registry`). */
export async function readCheckpoints(registryDir: string): Promise<Checkpoint[]> {
  const { journal, load } = await StateJournal.open(registryDir, CHECKPOINT_FILES);
  await journal.close();
  const out: Checkpoint[] = [];
  for (const v of load.entries.values()) {
    const cp = Checkpoint.safeParse(v);
    if (cp.success) out.push(cp.data);
  }
  return out;
}

export class Registry {
  private readonly files = new Map<string, Checkpoint>();
  private readonly extras = new Map<string, unknown>();
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  /** Bytes written to the registry's files since it was opened (for the benchmarks and a report). */
  bytesWritten = 0;
  private journal!: StateJournal;
  /** Checkpoints changed or removed since the last write (by key); `allDirty`: write them all. */
  private dirtyKeys = new Set<string>();
  private removedKeys = new Set<string>();
  private allDirty = false;
  /** The current write outage: since when, and how many writes failed (reported once, not per write). */
  private outage: { since: number; failed: number } | undefined;
  /** Puts numbered in order, and the highest number known to be on disk (see `put` and `written`). */
  private putSeq = 0;
  private writtenSeq = 0;

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
    const legacy = await reg.load();
    const { journal, load } = await StateJournal.open(dir, CHECKPOINT_FILES);
    reg.journal = journal;
    if (load.problem) {
      registryCorrupt(logger, {
        path: load.problem.path,
        error: load.problem.error,
        recoveredFrom: 'empty registry',
        keptAs: load.problem.keptAs,
      });
      reg.allDirty = true;
    }
    if (journal.bytes > 0 || load.problem) {
      for (const v of load.entries.values()) {
        const cp = Checkpoint.safeParse(v);
        if (cp.success) reg.files.set(key(cp.data.inputId, cp.data.fingerprint), cp.data);
      }
      if (legacy.length > 0) reg.dirty = true; // an older registry.json next to the journal: empty its list
    } else if (legacy.length > 0) {
      // First start after an upgrade: the checkpoints move from registry.json to the journal.
      for (const cp of legacy) reg.files.set(key(cp.inputId, cp.fingerprint), cp);
      reg.allDirty = true;
      reg.dirty = true;
    }
    return reg;
  }

  /** Load registry.json (extras); returns the checkpoints an older version kept in it. */
  private async load(): Promise<Checkpoint[]> {
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
      } else {
        this.dirty = true; // a new registry: write the file
      }
    }
    if (!chosen) return [];
    for (const [name, value] of Object.entries(chosen.extras)) this.extras.set(name, value);
    return chosen.files;
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

  /** Add or replace a checkpoint; returns its put's number, for `written`. */
  put(cp: Checkpoint): number {
    const k = key(cp.inputId, cp.fingerprint);
    this.files.set(k, cp);
    this.removedKeys.delete(k);
    this.dirtyKeys.add(k);
    this.putSeq += 1;
    return this.putSeq;
  }

  /**
   * Resolves once the put numbered `seq` (and every earlier one) is durable on disk: at once if a write already
   * took it, else after the next write, which takes every checkpoint changed by then (one write serves every
   * reader waiting at that moment). Rejects with RegistryWriteError if that write fails.
   */
  async written(seq: number): Promise<void> {
    while (this.writtenSeq < seq) await this.flush();
  }

  remove(inputId: string, fingerprint: string): void {
    const k = key(inputId, fingerprint);
    if (!this.files.delete(k)) return;
    this.dirtyKeys.delete(k);
    this.removedKeys.add(k);
  }

  getExtra(name: string): unknown {
    return this.extras.get(name);
  }

  setExtra(name: string, value: unknown): void {
    this.extras.set(name, value);
    this.dirty = true;
  }

  /** Mark that a checkpoint object was changed in place (without one: write every checkpoint). */
  touch(cp?: Checkpoint): void {
    if (cp) this.dirtyKeys.add(key(cp.inputId, cp.fingerprint));
    else this.allDirty = true;
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
    await this.journal.close();
  }

  private *allJson(): Iterable<readonly [string, string]> {
    for (const [k, cp] of this.files) yield [k, JSON.stringify(cp)];
  }

  private *someJson(keys: Set<string>): Iterable<readonly [string, string]> {
    for (const k of keys) {
      const cp = this.files.get(k);
      if (cp) yield [k, JSON.stringify(cp)];
    }
  }

  private async writeIfDirty(): Promise<void> {
    const full = this.allDirty || this.journal.needsFull;
    const keys = this.dirtyKeys;
    const removed = this.removedKeys;
    const json = this.dirty;
    // Writes run one at a time, and a failed one marks its keys dirty again: with nothing dirty now, every put
    // so far is on disk (or removed since).
    const upTo = this.putSeq;
    if (!json && keys.size === 0 && removed.size === 0 && !this.allDirty) {
      this.writtenSeq = upTo;
      return;
    }
    this.dirtyKeys = new Set();
    this.removedKeys = new Set();
    this.allDirty = false;
    this.dirty = false;
    try {
      if (full)
        this.bytesWritten += await this.journal.write({ full: true, set: this.allJson(), delete: [] });
      else if (keys.size > 0 || removed.size > 0)
        this.bytesWritten += await this.journal.write({
          full: false,
          set: this.someJson(keys),
          delete: [...removed].filter((k) => !this.files.has(k)),
        });
      if (json) await this.writeJson();
    } catch (err) {
      // Nothing is lost: the next write is a full one (the journal asks for it after a failure).
      for (const k of keys) this.dirtyKeys.add(k);
      for (const k of removed) if (!this.files.has(k)) this.removedKeys.add(k);
      this.allDirty = true;
      this.dirty ||= json;
      throw this.failed(err);
    }
    this.writtenSeq = upTo;
    this.recovered();
  }

  private async writeJson(): Promise<void> {
    const body: RegistryFile = {
      version: REGISTRY_VERSION,
      writtenAt: new Date().toISOString(),
      files: [],
      extras: Object.fromEntries(this.extras),
    };
    const current = this.file;
    const tmp = `${current}.tmp`;
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
  }

  /** A write failed: the first failure of an outage is reported (once), the others counted. */
  private failed(err: unknown): RegistryWriteError {
    if (this.outage) {
      this.outage.failed += 1;
      registryWriteFailedAgain();
    } else {
      this.outage = { since: Date.now(), failed: 1 };
      registryWriteFailed(this.logger, { path: this.dir, error: describeError(err) });
    }
    return new RegistryWriteError(describeError(err));
  }

  private recovered(): void {
    if (!this.outage) return;
    registryWriteRecovered(this.logger, {
      path: this.dir,
      failedWrites: this.outage.failed,
      durationMs: Date.now() - this.outage.since,
    });
    this.outage = undefined;
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
