// The array layer on top of the local engine's output (ARCHITECTURE.md "Beyond one host"): alert documents that
// carry AlertShareFacts go to the array-wide merge instead of the bulk path; everything else goes on unchanged.
//
// - Local view unchanged: an alert this agent raised on its own still goes to the local outputs (file, stdout),
//   also while the cluster is away; a pending contribution (below the threshold here) goes nowhere local.
// - Durable before acknowledged: the latest share of each alert is written to an outbox file
//   (<dataDir>/array-outbox/<id>.json, temp + fsync + rename) before the document is settled, so the checkpoint
//   of the record that produced it can move. The file is removed once that version is merged. A later share of the
//   same alert replaces the earlier one (shares replace, never add), so the outbox holds at most one file per
//   open alert and an outage costs no more than that.
// - Merged one alert at a time (alerts are few) by alert-merge.ts; on a failure the whole outbox is retried with
//   backoff and jitter, and at start whatever a previous run left is merged first.

import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ShippableDocument } from '../../pipeline/document.types.js';
import { CasguardError, describeError } from '../../pipeline/errors.js';
import type { DeadLetterSink, DocumentSink } from '../../pipeline/stages.types.js';
import type { Logger } from '../../telemetry/logger.types.js';
import { backoffDelay, type BackoffOptions } from '../delivery/backoff.js';
import { mergeShare, type MergeTarget } from './alert-merge.js';
import { mergedAlertId, shareOf, type ShareUpdate } from './alert-share.js';
import type { DocStore } from './doc-store.js';
import { settle, type OnSettled } from '../../pipeline/settle.js';

export interface ArrayAlertSinkOptions {
  readonly store: DocStore;
  readonly target: MergeTarget;
  readonly namespace: string;
  readonly outboxDir: string;
  /** The non-alert path (bulk to Elasticsearch and the local outputs). */
  readonly events: DocumentSink;
  /** The local outputs for alerts this agent raised itself (file, stdout), if any. */
  readonly local?: DocumentSink;
  readonly retry: BackoffOptions;
  /** A share the cluster refuses for good (a 4xx other than 409/429) goes here with the reason. */
  readonly deadLetters: DeadLetterSink;
  readonly logger: Logger;
}

export type ArrayHealth = 'ok' | 'degraded' | 'down';

interface Pending {
  update: ShareUpdate;
  version: number;
  /** Acknowledgements of versions that could not be written to the outbox: released once merged. */
  waiting: (() => void)[];
}

export class ArrayAlertSink implements DocumentSink {
  private readonly pending = new Map<string, Pending>();
  /** Per-alert chain of outbox file operations (writes and removals stay in order). */
  private readonly fileOps = new Map<string, Promise<void>>();
  private version = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;
  /** For the status document. */
  lastSuccess: string | undefined;
  lastError: string | undefined;
  merged = 0;
  conflicts = 0;

  constructor(private readonly opts: ArrayAlertSinkOptions) {}

  /** Load what a previous run left in the outbox and start merging it. */
  async open(): Promise<void> {
    let names: string[];
    try {
      await mkdir(this.opts.outboxDir, { recursive: true });
      names = await readdir(this.opts.outboxDir);
    } catch (e) {
      // A full or failing disk: shares are then acknowledged only once merged (see push).
      this.opts.logger.error('array outbox unavailable; alerts are acknowledged only once merged', {
        path: this.opts.outboxDir,
        error: describeError(e),
      });
      return;
    }
    for (const name of names) {
      const file = path.join(this.opts.outboxDir, name);
      if (!name.endsWith('.json')) {
        await rm(file, { force: true }); // a temp file of an interrupted write
        continue;
      }
      try {
        const update = JSON.parse(await readFile(file, 'utf8')) as ShareUpdate;
        this.pending.set(update.mergedId, { update, version: ++this.version, waiting: [] });
      } catch (e) {
        this.opts.logger.warn('unreadable array outbox file skipped', {
          path: file,
          error: describeError(e),
        });
        await rename(file, `${file}.bad`).catch(() => undefined);
      }
    }
    if (this.pending.size > 0) this.kick();
  }

  get health(): ArrayHealth {
    return this.failures === 0 ? 'ok' : this.pending.size > 0 && this.failures > 2 ? 'down' : 'degraded';
  }

  get outboxSize(): number {
    return this.pending.size;
  }

  push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    const facts = doc.stream === 'alerts' ? doc.share : undefined;
    if (!facts) return this.opts.events.push(doc, onSettled);
    const local = facts.raised ? this.opts.local : undefined;
    let remaining = local ? 2 : 1;
    const one = (): void => {
      if (--remaining === 0) settle(onSettled);
    };
    if (local) local.push(doc, one);
    const update: ShareUpdate = {
      mergedId: mergedAlertId(doc.id, this.opts.target.array, this.opts.namespace),
      share: shareOf(doc, facts),
      base: doc.doc,
    };
    const version = ++this.version;
    // Acknowledgements held for earlier versions ride along: this version replaces them.
    const waiting = this.pending.get(update.mergedId)?.waiting ?? [];
    const entry: Pending = { update, version, waiting };
    this.pending.set(update.mergedId, entry);
    this.fileOp(update.mergedId, () => this.writeOutbox(update)).then(one, (e: unknown) => {
      // Not durable: merged from memory, and acknowledged only once merged (else re-read after a restart).
      this.opts.logger.error('array outbox write failed; the alert is acknowledged once merged', {
        id: update.mergedId,
        error: describeError(e),
      });
      const cur = this.pending.get(update.mergedId);
      if (cur) cur.waiting.push(one);
      else one(); // merged meanwhile
    });
    this.kick();
    return true;
  }

  drain(): Promise<void> {
    return this.opts.events.drain();
  }

  /** Everything settled, and one merge pass over the outbox (which may fail: the outbox keeps it). */
  async flush(): Promise<void> {
    await Promise.all([this.opts.events.flush(), this.opts.local?.flush(), ...this.fileOps.values()]);
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.kick();
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.opts.store.abort(); // what is not merged by now stays in the outbox for the next start
    while (this.running) await this.running;
    await Promise.all([...this.fileOps.values()]);
    await Promise.all([this.opts.events.close(), this.opts.local?.close()]);
  }

  private fileOp(id: string, op: () => Promise<void>): Promise<void> {
    const prev = this.fileOps.get(id) ?? Promise.resolve();
    const next = prev.then(op, op);
    this.fileOps.set(id, next);
    next
      .finally(() => {
        if (this.fileOps.get(id) === next) this.fileOps.delete(id);
      })
      .catch(() => undefined); // the caller handles the failure
    return next;
  }

  private async writeOutbox(update: ShareUpdate): Promise<void> {
    const file = path.join(this.opts.outboxDir, `${update.mergedId}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(update));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  }

  /** Refused for good: dead-lettered with the reason (the local alert document and its share), then forgotten. */
  private refused(id: string, p: Pending, e: CasguardError): void {
    this.opts.deadLetters.write({
      time: new Date(this.opts.target.now()).toISOString(),
      stage: 'output',
      reason: e.message,
      code: 'array.merge_refused',
      document: { id, stream: 'alerts', op: 'index', doc: p.update.base },
      target: this.opts.target.sharesIndex,
    });
    this.opts.logger.error('array alert merge refused by the cluster; dead-lettered', {
      id,
      error: e.message,
    });
    if (this.pending.get(id)?.version === p.version) {
      this.pending.delete(id);
      void this.fileOp(id, () => rm(path.join(this.opts.outboxDir, `${id}.json`), { force: true })).catch(
        () => undefined,
      );
    }
  }

  /** Start a merge pass unless one runs (then it goes round once more). */
  private kick(): void {
    if (this.closed && this.running === undefined && this.pending.size === 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return; // backing off
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again && !this.timer && !this.closed) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async pass(): Promise<void> {
    this.again = false;
    for (const [id, p] of [...this.pending]) {
      try {
        const r = await mergeShare(this.opts.store, this.opts.target, p.update);
        this.conflicts += r.conflicts;
        this.merged++;
        this.failures = 0;
        this.lastSuccess = new Date(this.opts.target.now()).toISOString();
        if (this.pending.get(id)?.version === p.version) {
          this.pending.delete(id);
          for (const cb of p.waiting.splice(0)) cb();
          void this.fileOp(id, () =>
            this.pending.has(id)
              ? Promise.resolve()
              : rm(path.join(this.opts.outboxDir, `${id}.json`), { force: true }),
          ).catch(() => undefined);
        }
      } catch (e) {
        if (e instanceof CasguardError && !e.recoverable) {
          this.refused(id, p, e);
          continue;
        }
        this.failures++;
        this.lastError = describeError(e);
        if (this.failures === 1 || this.failures % 10 === 0)
          this.opts.logger.warn('array alert merge failed; kept in the outbox and retried', {
            pending: this.pending.size,
            failures: this.failures,
            error: this.lastError,
          });
        if (!this.closed) {
          const delay = backoffDelay(this.failures, this.opts.retry);
          this.timer = setTimeout(
            () => {
              this.timer = undefined;
              this.kick();
            },
            Math.max(50, delay),
          );
          this.timer.unref();
        }
        return;
      }
    }
  }
}
