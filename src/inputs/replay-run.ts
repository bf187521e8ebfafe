// A replay: the given files read once to their end, as complete files (`casguard replay`, FileInput.runOnce).
// A backfill may name thousands of files, so they are read as the tail loop reads a backlog: a bounded number of
// readers at once, the other files waiting as paths, a slot given up once its file is read, settled and
// committed. With worker threads (RunOnceOptions.processed) the files' records are processed there and handed on
// here turn by turn (processed-turns.ts); identities, offsets, acknowledgements and checkpoints stay here.

import { fileDuplicate } from '../telemetry/input-events.js';
import type { CheckpointCommitter } from './checkpoint-committer.js';
import type { CheckpointIndex } from './checkpoint-index.js';
import { fileId } from './file-identity.js';
import type { HandlePool } from './handle-pool.js';
import type { IdentityResolver } from './identity-resolver.js';
import { dispatchTurn, replayJob, type ProcessedTurnSource } from './processed-turns.js';
import type { RecordDispatcher } from './record-dispatcher.js';
import type { TailReader } from './tail-reader.js';
import type { InputContext, InputSummary, Probe, RunOnceOptions, Tail } from './tail.types.js';

/** The file input's parts a replay uses. */
export interface ReplayParts {
  readonly ctx: InputContext;
  readonly index: CheckpointIndex;
  readonly identity: IdentityResolver;
  readonly reader: TailReader;
  readonly records: RecordDispatcher;
  readonly handles: HandlePool;
  readonly committer: CheckpointCommitter;
  /** Readers at once (with worker threads also at most `maxOpenFiles`). */
  readonly maxActiveFiles: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A file of a replay holding a reader slot; `job` when the workers process it. */
interface ReplayFile {
  readonly t: Tail;
  readonly job?: number;
  readonly warned: { n: number };
}

interface ReplayCounts {
  files: number;
  records: number;
  documents: number;
  deadLetters: number;
}

function count(t: Tail, c: ReplayCounts): void {
  c.files += 1;
  c.records += t.records;
  c.documents += t.documents;
  c.deadLetters += t.deadLetters;
}

export class ReplayRun {
  private readonly ctx: InputContext;

  constructor(private readonly parts: ReplayParts) {
    this.ctx = parts.ctx;
  }

  /**
   * Read `files` to the end, as complete files, and resolve when every record is settled. Starts at the
   * beginning of each file unless `resume` is set.
   *
   * A backfill may name thousands of files: they are read as run reads a backlog, at most `maxActiveFiles`
   * readers at once (with worker threads, at most `maxOpenFiles`, each a descriptor held by a worker); the
   * other files wait as paths. A file read to its end keeps its slot until its records are settled and its
   * checkpoint committed; then it is dropped and the next path is looked at. Files take one turn each per
   * round, in the order they were given.
   */
  async run(files: readonly string[], options: RunOnceOptions): Promise<InputSummary> {
    const ctx = this.ctx;
    const source = options.processed;
    const max = this.parts.maxActiveFiles;
    const slots = source ? Math.min(max, ctx.config.maxOpenFiles) : max;
    const skipped: string[] = [];
    const duplicates: string[] = [];
    const stopped: InputSummary['stopped'] = [];
    /** Identities read in this run, with their path: a later path with the same identity is a duplicate. */
    const read = new Map<string, string>();
    const done: ReplayCounts = { files: 0, records: 0, documents: 0, deadLetters: 0 };
    let active: ReplayFile[] = [];
    let next = 0;
    let elsewhere = false;
    source?.start(files.length);
    try {
      for (;;) {
        while (active.length < slots && next < files.length) {
          const f = files[next++]!;
          const t = await this.admit(f, read, options);
          if (t) {
            read.set(t.key, t.path);
            // Plain files with a format are processed by the workers, which open them themselves.
            const job = source && !t.compressed && t.handler ? source.add(replayJob(t)) : undefined;
            if (job !== undefined) {
              elsewhere = true;
              await this.parts.handles.close(t);
            }
            active.push({ t, ...(job !== undefined ? { job } : {}), warned: { n: 0 } });
          } else if (ctx.paths.get(f)?.dupOf) duplicates.push(f);
          else skipped.push(f);
        }
        if (next >= files.length && active.every((a) => a.t.finished)) break;
        for (const a of active) {
          if (a.t.finished) continue;
          if (a.job === undefined) await this.serviceTurn(a.t, stopped);
          else await this.processedTurn(a, source!, stopped);
          if (ctx.blocked) {
            await this.ctx.deps.sink.drain();
            ctx.blocked = false;
          }
        }
        if (next < files.length && active.some((a) => a.t.finished))
          active = await this.release(active, done);
        else if (Date.now() >= this.parts.committer.nextCommitAt) await this.parts.committer.commit();
      }
      // Every file is read: what the sink holds is all that settling waits for, so it is sent now rather than at
      // its next flush interval (up to flushIntervalMs of idle at the end of every replay otherwise).
      await this.ctx.deps.sink.flush();
      await this.parts.committer.waitSettled(Number.POSITIVE_INFINITY);
      await this.parts.committer.commit();
    } finally {
      await source?.close();
    }
    for (const a of active) count(a.t, done);
    const summary: InputSummary = {
      ...done,
      bytesRead: ctx.bytesRead,
      skipped,
      duplicates,
      stopped,
      ...(elsewhere ? { processedElsewhere: true } : {}),
    };
    for (const a of active) {
      await this.parts.handles.close(a.t);
      ctx.tails.delete(a.t.key);
    }
    return summary;
  }

  /**
   * Look at a path of a replay; its reader, or undefined (a duplicate of a file read in this run, not
   * recognised, not readable). A file whose identity was read and dropped earlier in the run is told by its
   * checkpoint (all of them are in the index), as the identity resolver tells a duplicate of a file being read.
   */
  private async admit(
    file: string,
    read: ReadonlyMap<string, string>,
    options: RunOnceOptions,
  ): Promise<Tail | undefined> {
    const opts = { replay: !options.resume, forceComplete: true };
    const probe = await this.parts.identity.probe(file, opts);
    const cp = probe.head && probe.head.length > 0 ? this.parts.index.find(probe.head) : undefined;
    const key = cp ? this.parts.index.keyOf(cp.fingerprint) : undefined;
    if (key !== undefined && read.has(key)) return this.duplicate(file, probe, key, read.get(key)!);
    const t = await this.parts.identity.inspect(file, opts, probe);
    // The probe's bytes did not tell, the resolver's did (the file changed in between).
    if (t && read.has(t.key)) return this.duplicate(file, probe, t.key, read.get(t.key)!);
    return t;
  }

  private duplicate(file: string, probe: Probe, key: string, first: string): undefined {
    if (probe.st)
      this.ctx.paths.set(file, { ino: fileId(probe.st), size: Number(probe.st.size), dupOf: key });
    fileDuplicate(this.ctx.log, { inputId: this.ctx.id, path: file, sameAs: first });
    return undefined;
  }

  /** One turn of a file read here. At a read error the replay gives up on the file, as with workers. */
  private async serviceTurn(t: Tail, stopped: InputSummary['stopped']): Promise<void> {
    await this.parts.reader.service(t);
    if (t.readError === undefined) return;
    stopped.push({ path: t.path, offset: t.pos, error: t.readError });
    t.ended = true;
    t.finished = true;
    t.framer = undefined;
  }

  /** One turn of a file processed by the workers, handed on as the reader hands on its own turns. */
  private async processedTurn(
    a: ReplayFile,
    source: ProcessedTurnSource,
    stopped: InputSummary['stopped'],
  ): Promise<void> {
    const t = a.t;
    // As the tail reader: no document carrying a new identity leaves before the identity is on disk.
    if (t.identityPut !== undefined) await this.parts.reader.identityWritten(t);
    const turn = await source.next(a.job!);
    dispatchTurn(this.ctx, this.parts.records, t, turn, a.warned);
    // A worker gives up on a file at its first open or read error (logged by dispatchTurn): the replay says so.
    if (turn.error !== undefined) stopped.push({ path: t.path, offset: t.pos, error: turn.error });
    if (turn.last) {
      t.ended = true;
      t.finished = true;
      t.framer = undefined;
    }
  }

  /**
   * Files of a replay read to their end give their slots to waiting paths once their records are settled and
   * their checkpoints committed. When every slot holds such a file, what the sink holds is sent now rather than
   * at its next flush interval (their acknowledgements are all that reading waits for).
   */
  private async release(active: ReplayFile[], done: ReplayCounts): Promise<ReplayFile[]> {
    const settled = (t: Tail): boolean => t.finished && t.tracker.pending === 0;
    if (active.every((a) => a.t.finished) && !active.some((a) => settled(a.t))) {
      await this.ctx.deps.sink.flush();
      // Settled a moment after the flush (or a sink that only sends): no busy loop meanwhile.
      if (!active.some((a) => settled(a.t))) await sleep(10);
    }
    if (active.some((a) => settled(a.t) && a.t.cp.offset !== a.t.committed))
      await this.parts.committer.commit();
    else if (Date.now() >= this.parts.committer.nextCommitAt) await this.parts.committer.commit();
    const kept: ReplayFile[] = [];
    for (const a of active) {
      const t = a.t;
      if (!settled(t) || t.cp.offset !== t.committed) {
        kept.push(a);
        continue;
      }
      // The path's per-file metrics stay (the progress bar and the summary read them).
      count(t, done);
      await this.parts.handles.close(t);
      this.ctx.tails.delete(t.key);
      this.ctx.paths.delete(t.path);
    }
    return kept;
  }
}
