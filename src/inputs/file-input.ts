// The file input: finds files (discovery.ts), decides what each path holds (identity-resolver.ts), reads them
// by offset on a timer (tail-reader.ts), turns records into documents for the sink (record-dispatcher.ts), and
// commits offsets to the registry only when acknowledged (checkpoint-committer.ts). This file wires the parts
// and runs the loop; a replay (read given files once to their end) runs in replay-run.ts.
//
// Invariants:
// - A file's committed offset only moves over a contiguous prefix of records whose documents are all settled
//   (delivered, spooled or dead-lettered); dead letters are flushed to disk before such an offset is written.
//   After a crash, at most the unsettled records are read again, and their deterministic ids make the re-send
//   harmless (a `create` of an existing id is answered 409).
// - Reading stops while the sink asks for it (push returned false) until `drain()` resolves: memory stays
//   bounded by one read chunk per file being served plus what the sink holds.
// - chokidar events only wake the reader; every known file is polled, and the directories are rescanned.
// - One identity is read by one reader at a time, whatever paths it appears under (rename, copy).
// - File handles are closed when idle or gone, and their number is bounded, so Windows can rotate and delete.

import path from 'node:path';
import { describeError } from '../pipeline/errors.js';
import {
  fileNameNotUtf8,
  fileReadError,
  forgetFileMetrics,
  inputStarted,
  inputStopped,
  shutdownAckTimeout,
  watcherError,
} from '../telemetry/input-events.js';
import type { Logger } from '../telemetry/logger.types.js';
import { CheckpointCommitter } from './checkpoint-committer.js';
import { CheckpointIndex } from './checkpoint-index.js';
import { Discovery } from './discovery.js';
import type { FileInputConfig } from './file-input.config.js';
import { HandlePool } from './handle-pool.js';
import { IdentityResolver } from './identity-resolver.js';
import { RecordDispatcher } from './record-dispatcher.js';
import { ReplayRun } from './replay-run.js';
import { TailReader, TURN_BUDGET_BYTES } from './tail-reader.js';
import { ParserStateIntern } from './parser-state-intern.js';
import { UnreadablePaths } from './unreadable-paths.js';
import type {
  FileInputDeps,
  InputContext,
  InputSummary,
  PathInfo,
  RunOnceOptions,
  Tail,
} from './tail.types.js';

export { READ_CHUNK_BYTES } from './tail-reader.js';
export type { FileInputDeps, InputSummary, RunOnceOptions } from './tail.types.js';

/** New paths identified per loop turn, so reading starts before a large tree is fully identified. */
const INSPECT_BATCH = 256;
/** Files probed or served at once (file system latency, not CPU, is what this hides). */
const IO_CONCURRENCY = 8;
/**
 * Readers with a parser and framer at once (not parked). Past it, new paths wait as paths (`ctx.waiting`) and
 * files read to their end are parked at once instead of after their idle delay, so a backlog of 20,000 files
 * holds a few hundred parsers, not thousands. One waiting path is still let in per poll interval, so files
 * that are written without pause can never keep a new one from being read.
 */
export const MAX_ACTIVE_FILES = 512;

/** Map with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class FileInput {
  readonly id: string;
  private readonly ctx: InputContext;
  private readonly discovery: Discovery;
  private readonly handles: HandlePool;
  private readonly identity: IdentityResolver;
  private readonly reader: TailReader;
  private readonly committer: CheckpointCommitter;
  private readonly replay: ReplayRun;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private nextRescanAt = 0;
  /** When a waiting path may be let in although every reader slot is taken. */
  private nextForcedAdmitAt = 0;
  /** A rescan happened; forget stale checkpoints once every path it found has been looked at. */
  private forgetDue = false;

  constructor(
    private readonly config: FileInputConfig,
    private readonly deps: FileInputDeps,
  ) {
    this.id = config.id;
    const log: Logger = deps.logger.child({ input: config.id });
    this.ctx = {
      id: config.id,
      config,
      deps,
      log,
      tails: new Map<string, Tail>(),
      paths: new Map<string, PathInfo>(),
      hints: new Set<string>(),
      waiting: new Set<string>(),
      startupFiles: new Set<string>(),
      blocked: false,
      stopping: false,
      bytesRead: 0,
      unreadable: new UnreadablePaths(config.id, log),
      states: new ParserStateIntern(),
      wake: () => this.wakeUp?.(),
    };
    const badNames = new Set<string>();
    this.discovery = new Discovery({
      patterns: config.paths,
      exclude: config.exclude,
      baseDir: deps.baseDir,
      usePolling: config.usePolling,
      pollIntervalMs: config.pollIntervalMs,
      onHint: (file) => {
        this.ctx.hints.add(file);
        this.ctx.wake();
      },
      onError: (error) => watcherError(log, { inputId: this.id, error }),
      onBadName: (file) => {
        if (badNames.has(file)) return;
        badNames.add(file);
        fileNameNotUtf8(log, { inputId: this.id, path: file });
      },
    });
    const index = new CheckpointIndex(config.id, deps.registry);
    const records = new RecordDispatcher(this.ctx);
    this.handles = new HandlePool(this.ctx);
    this.identity = new IdentityResolver(this.ctx, index, this.handles);
    this.reader = new TailReader(this.ctx, this.handles, records, index);
    this.committer = new CheckpointCommitter(this.ctx, records);
    this.replay = new ReplayRun({
      ctx: this.ctx,
      index,
      identity: this.identity,
      reader: this.reader,
      records,
      handles: this.handles,
      committer: this.committer,
      maxActiveFiles: MAX_ACTIVE_FILES,
    });
  }

  /** Start tailing: watch, rescan and poll until `stop()`. Resolves once started. */
  async start(): Promise<void> {
    if (this.loop) return;
    if (this.config.watch) this.discovery.start();
    const first = await this.scan();
    for (const f of first) this.ctx.hints.add(f);
    if (this.config.startAt === 'end') for (const f of first) this.ctx.startupFiles.add(f);
    this.nextRescanAt = Date.now() + this.config.rescanIntervalMs;
    inputStarted(this.ctx.log, { inputId: this.id, baseDirs: this.discovery.baseDirs, files: first.length });
    this.loop = this.run();
  }

  /** Stop reading, wait (bounded) for in-flight documents, and commit what is settled. */
  async stop(): Promise<void> {
    this.ctx.stopping = true;
    this.ctx.wake();
    await this.loop;
    this.loop = undefined;
    await this.discovery.close();
    const waited = await this.committer.waitSettled(this.config.shutdownTimeoutMs);
    const pending = this.committer.pendingRecords();
    if (!waited)
      shutdownAckTimeout(this.ctx.log, {
        inputId: this.id,
        pendingRecords: pending,
        waitedMs: this.config.shutdownTimeoutMs,
      });
    await this.committer.commit();
    for (const t of this.ctx.tails.values()) await this.handles.close(t);
    this.ctx.unreadable.close();
    inputStopped(this.ctx.log, { inputId: this.id, pendingRecords: pending });
  }

  /**
   * Replay: read the given files (or every file the config matches) to the end, as complete files, and
   * resolve when every record is settled (replay-run.ts).
   */
  async runOnce(paths?: string[], options: RunOnceOptions = {}): Promise<InputSummary> {
    const files = paths ? paths.map((p) => path.resolve(this.deps.baseDir, p)) : await this.scan();
    return this.replay.run(files, options);
  }

  // ---- the loop ---------------------------------------------------------------------------------------

  private async run(): Promise<void> {
    const ctx = this.ctx;
    while (!ctx.stopping) {
      let busy = false;
      try {
        busy = await this.turn();
      } catch (err) {
        fileReadError(ctx.log, { inputId: this.id, path: '(input loop)', error: describeError(err) });
      }
      if (ctx.stopping) break;
      if (ctx.blocked) {
        await Promise.race([this.deps.sink.drain(), this.sleepUntilWoken(60_000)]);
        if (ctx.stopping) break;
        ctx.blocked = false;
        continue;
      }
      if (!busy) await this.sleepUntilWoken(this.config.pollIntervalMs);
    }
  }

  private sleepUntilWoken(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const done = (): void => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** Walk the directories; folders that cannot be listed are reported (once) until they can. */
  private async scan(): Promise<string[]> {
    const found = await this.discovery.scan();
    this.ctx.unreadable.syncDirectories(this.discovery.unreadableDirs);
    return found;
  }

  /** A finished reader whose records are all committed: dropped, with its path's metric series if no other reader has it. */
  private forgetTail(t: Tail): void {
    this.ctx.tails.delete(t.key);
    for (const o of this.ctx.tails.values()) if (o.path === t.path) return;
    forgetFileMetrics(this.id, t.path);
  }

  /** Readers holding a parser and framer (not parked, not finished). */
  private activeReaders(): number {
    let n = 0;
    for (const t of this.ctx.tails.values()) if (t.handler && !t.finished) n += 1;
    return n;
  }

  /**
   * The paths to look at in this turn: known paths always (a stat each), new ones while reader slots are free
   * (first those that waited longest); the other new ones wait as paths.
   */
  private nextBatch(now: number): string[] {
    const ctx = this.ctx;
    let free = ctx.waiting.size > 0 || ctx.hints.size > 0 ? MAX_ACTIVE_FILES - this.activeReaders() : 0;
    if (free <= 0 && ctx.waiting.size > 0 && now >= this.nextForcedAdmitAt) {
      free = 1;
      this.nextForcedAdmitAt = now + this.config.pollIntervalMs;
    }
    const batch = new Set<string>();
    for (const f of ctx.waiting) {
      if (free <= 0 || batch.size >= INSPECT_BATCH) break;
      ctx.waiting.delete(f);
      batch.add(f);
      free -= 1;
    }
    for (const f of ctx.hints) {
      if (batch.size >= INSPECT_BATCH) break;
      ctx.hints.delete(f);
      if (batch.has(f)) continue;
      if (!ctx.paths.has(f)) {
        if (free <= 0) {
          if (ctx.waiting.size === 0) this.parkSoon();
          ctx.waiting.add(f);
          continue;
        }
        free -= 1;
      }
      batch.add(f);
    }
    return [...batch];
  }

  /** A backlog begins: readers already at their end and settled are looked at (and parked) in the next turn. */
  private parkSoon(): void {
    for (const t of this.ctx.tails.values())
      if (t.handler && !t.finished && t.pos >= t.size && t.tracker.pending === 0) t.nextCheckAt = 0;
  }

  /** One pass: discovery, identification of new paths, a turn for every due file, commit. True if more work is waiting. */
  private async turn(): Promise<boolean> {
    const ctx = this.ctx;
    const now = Date.now();
    if (now >= this.nextRescanAt) {
      this.nextRescanAt = now + this.config.rescanIntervalMs;
      const found = new Set(await this.scan());
      // Every match is looked at again (one stat for a known file): chokidar may have missed its events.
      for (const f of found) ctx.hints.add(f);
      // Known paths that vanished from the tree: look at them once more (rename, delete).
      for (const f of ctx.paths.keys()) if (!found.has(f)) ctx.hints.add(f);
      this.forgetDue = true;
    }
    // Probe a batch of paths concurrently (I/O only), then resolve identities one by one, so two paths with
    // the same content can never both become readers.
    const batch = this.nextBatch(now);
    const opts = { replay: false, forceComplete: false };
    const probes = await mapLimit(batch, IO_CONCURRENCY, (f) => this.identity.probe(f, opts));
    for (let i = 0; i < batch.length && !ctx.stopping; i++) {
      try {
        await this.identity.inspect(batch[i]!, opts, probes[i]);
      } catch (err) {
        fileReadError(ctx.log, { inputId: this.id, path: batch[i]!, error: describeError(err) });
      }
    }
    let more = ctx.hints.size > 0;
    const due: Tail[] = [];
    for (const t of [...ctx.tails.values()]) {
      if (t.finished) {
        if (t.tracker.pending === 0 && t.cp.offset === t.committed) this.forgetTail(t);
        continue;
      }
      if (now >= t.nextCheckAt) due.push(t);
    }
    // Files take their turns concurrently (each file's own reads stay in order: one turn at a time per file).
    await mapLimit(due, IO_CONCURRENCY, async (t) => {
      if (ctx.stopping || ctx.blocked) return;
      const before = t.pos;
      await this.reader.service(t);
      if (t.pos - before >= TURN_BUDGET_BYTES) more = true;
    });
    // Free reader slots (readers parked in this turn) are for the waiting paths, in the next turn.
    if (ctx.waiting.size > 0 && this.activeReaders() < MAX_ACTIVE_FILES) more = true;
    // Waiting paths have not been looked at: their checkpoints are not stale.
    if (this.forgetDue && ctx.hints.size === 0 && ctx.waiting.size === 0) {
      this.forgetDue = false;
      this.identity.forgetGone(Date.now());
    }
    if (Date.now() >= this.committer.nextCommitAt) await this.committer.commit();
    return more;
  }
}
