// The acknowledgement committer: moves each reader's checkpoint to its acknowledged offset (with the parser
// state at that offset) and writes the registry, after the dead letters those records produced are durable.
// Offsets only move over a contiguous prefix of settled records (AckTracker), so after a crash at most the
// unsettled records are read again, and their deterministic ids make the re-send harmless.

import { describeError } from '../pipeline/errors.js';
import { checkpointCommitFailed, inputMetrics } from '../telemetry/input-events.js';
import { pathText } from '../telemetry/path-text.js';
import { RegistryWriteError } from './registry.js';
import type { RecordDispatcher } from './record-dispatcher.js';
import type { InputContext, Tail } from './tail.types.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class CheckpointCommitter {
  /** When the next periodic commit is due. */
  nextCommitAt = 0;
  private deadLettersFlushed = 0;
  /** A commit failure was reported and no commit has succeeded since (one line per outage, not per commit). */
  private failing = false;

  constructor(
    private readonly ctx: InputContext,
    private readonly records: RecordDispatcher,
  ) {}

  /** Write acknowledged offsets (and the parser state at them) to the registry, after dead letters are durable. */
  async commit(): Promise<void> {
    const ctx = this.ctx;
    this.nextCommitAt = Date.now() + ctx.config.checkpointFlushMs;
    const updates: { t: Tail; offset: number }[] = [];
    for (const t of ctx.tails.values()) updates.push({ t, offset: t.committed });
    try {
      if (this.records.deadLettersWritten > this.deadLettersFlushed) {
        const n = this.records.deadLettersWritten;
        await ctx.deps.deadLetters.flush();
        this.deadLettersFlushed = n;
      }
      for (const { t, offset } of updates) {
        while (t.stateChanges.length > 0 && t.stateChanges[0]!.end <= offset) {
          const json = t.stateChanges.shift()!.json;
          t.committedStateJson = json === undefined ? undefined : ctx.states.fromJson(json).json;
        }
        const done = t.ended && t.tracker.pending === 0 && !t.framer;
        if (t.replay && t.cp.offset > offset && !done) continue;
        if (t.cp.offset === offset && (t.cp.done ?? false) === done) continue;
        t.cp.offset = offset;
        t.cp.done = done;
        t.cp.parserState =
          t.committedStateJson === undefined ? undefined : ctx.states.fromJson(t.committedStateJson).value;
        t.cp.updatedAt = new Date().toISOString();
        ctx.deps.registry.touch(t.cp);
        // A parked reader has no series (dropped while it is idle); it gets them back when it grows.
        if (t.handler)
          inputMetrics.lag().set({ input: ctx.id, file: pathText(t.path) }, Math.max(0, t.size - offset));
      }
      await ctx.deps.registry.flush();
      this.failing = false;
    } catch (err) {
      // The offsets stay in memory and are written by the next commit that succeeds. A registry that cannot be
      // written reports its own outage (once, with a /health condition): this is not a file that failed to read.
      if (err instanceof RegistryWriteError || this.failing) return;
      this.failing = true;
      checkpointCommitFailed(ctx.log, { inputId: ctx.id, error: describeError(err) });
    }
  }

  pendingRecords(): number {
    let n = 0;
    for (const t of this.ctx.tails.values()) n += t.tracker.pending;
    return n;
  }

  /** Wait until every record read is settled, or `timeoutMs`; true if settled. */
  async waitSettled(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pendingRecords() > 0) {
      if (Date.now() >= deadline) return false;
      await sleep(10);
    }
    return true;
  }
}
