// Runs the pure middle of the pipeline in a worker thread (processing-worker.ts) so that parsing, mapping and
// serialising one file's records overlap with reading, acknowledging and shipping on the main thread: on a
// machine with two or more cores the agent is no longer bound to one. What stays on the main thread: format
// detection, framing, acknowledgements, checkpoints, the detection engine (its state is saved with the
// checkpoints), logging, metrics and the outputs. Documents come back serialised (EncodedDocument); the few
// that DetectionFilter says the engine must see come back whole too, and the rest only move its event time.
//
// If the worker dies (a bug, memory), nothing is lost: the batches it had not answered are processed again on
// the main thread from the last parser state it reported, in order, and every later batch is too.

import { Worker } from 'node:worker_threads';
import { DetectionFilter } from '../detect/prefilter.js';
import type { Rule } from '../detect/rule.schema.js';
import type { ShippableDocument } from '../pipeline/document.types.js';
import { EncodedDocument } from '../pipeline/encoded-document.js';
import { describeError } from '../pipeline/errors.js';
import { StateWatch } from '../pipeline/parser-state.js';
import type { SourceRecord } from '../pipeline/record.types.js';
import { redactText } from '../pipeline/redact.js';
import type { Detector, FileHandler, FileHandlerFactory, RecordOutcome } from '../pipeline/stages.types.js';
import type { Logger } from '../telemetry/logger.types.js';
import { STREAM_CODES, type BatchResult, type ToWorker, type WorkerInit } from './offload-protocol.js';

export interface OffloadOptions {
  readonly namespace: string;
  readonly observerHostname: string;
  /** The engine on the main thread, and the enabled rules its filter is built from (in the worker). */
  readonly detector?: Detector;
  readonly rules?: readonly Rule[];
  readonly logger: Logger;
  /**
   * Young-generation size of the worker's heap, MiB (`--max-semi-space-size` does not reach worker threads).
   * Default 24: 8 MiB semi-spaces, as the service definitions give the main thread.
   */
  readonly youngGenerationMb?: number;
}

/** What a file's handler needs from its input's settings to be opened in the worker. */
export interface OffloadInputOptions {
  /** Explicitly configured zone, or null for the machine's (looked up in the worker if a parser asks). */
  readonly timezone: string | null;
  readonly easLogTokens: boolean;
}

interface Detection {
  readonly engine: Detector;
  readonly filter: DetectionFilter;
}

interface Pending {
  readonly handler: OffloadedHandler;
  readonly records: SourceRecord[];
  readonly resolve: (outcomes: RecordOutcome[]) => void;
}

export class ProcessingOffload {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private handles = 0;
  private closing = false;
  /** Set when the worker is gone: every batch is processed on the main thread from then on. */
  private dead = false;
  private refd = false;
  /** The engine and the filter that rebuilds the projections the worker sends (same rules, same field order). */
  private readonly detection: Detection | undefined;

  constructor(private readonly opts: OffloadOptions) {
    if (opts.detector && opts.rules)
      this.detection = { engine: opts.detector, filter: new DetectionFilter(opts.rules) };
    const init: WorkerInit = {
      namespace: opts.namespace,
      observerHostname: opts.observerHostname,
      ...(opts.detector && opts.rules ? { rules: opts.rules } : {}),
    };
    const resourceLimits = { maxYoungGenerationSizeMb: opts.youngGenerationMb ?? 24 };
    const self = import.meta.url;
    if (self.endsWith('.ts')) {
      // Run from the TypeScript sources (the test runner's loader): a worker's entry file is resolved before
      // any loader runs in it, so the entry registers tsx itself and then imports the source.
      const entry = new URL('./processing-worker.ts', self).href;
      const tsx = import.meta.resolve('tsx/esm/api'); // from here, whatever the working folder
      const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
      this.worker = new Worker(boot, { eval: true, workerData: init, resourceLimits });
    } else {
      this.worker = new Worker(new URL('./processing-worker.js', self), { workerData: init, resourceLimits });
    }
    this.worker.unref();
    this.worker.on('message', (m: BatchResult) => this.onResult(m));
    this.worker.on('error', (err) => this.onDeath(`failed: ${describeError(err)}`));
    this.worker.on('exit', (code) => this.onDeath(`exited with code ${code}`));
  }

  /** Wraps an in-thread handler factory: same format choice, processing in the worker. */
  wrap(factory: FileHandlerFactory, input: OffloadInputOptions): FileHandlerFactory {
    return (source, head) => {
      const local = factory(source, head);
      if (!local || this.dead) return local;
      const h = ++this.handles;
      this.post({
        t: 'open',
        h,
        source,
        format: local.formatName,
        timezone: input.timezone,
        easLogTokens: input.easLogTokens,
      });
      return new OffloadedHandler(this, h, local);
    };
  }

  /** Batches sent and not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Stop the worker. Batches not answered by then stay unacknowledged (their records are read again). */
  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  /** For tests: the worker's thread id, or -1 once it is gone. */
  get threadId(): number {
    return this.dead ? -1 : this.worker.threadId;
  }

  /** For tests: end the worker as a crash would (its unanswered batches are processed on this thread). */
  async crashForTest(): Promise<void> {
    await this.worker.terminate();
  }

  post(m: ToWorker): void {
    if (!this.dead) this.worker.postMessage(m);
  }

  submit(handler: OffloadedHandler, records: SourceRecord[]): Promise<RecordOutcome[]> {
    if (this.dead) return Promise.resolve(handler.processHere(records));
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(seq, { handler, records, resolve });
      if (!this.refd) {
        this.worker.ref();
        this.refd = true;
      }
      this.worker.postMessage({ t: 'batch', h: handler.h, seq, records } satisfies ToWorker);
    });
  }

  private onResult(m: BatchResult): void {
    const p = this.pending.get(m.seq);
    if (!p) return;
    this.pending.delete(m.seq);
    if (this.pending.size === 0 && this.refd) {
      this.worker.unref();
      this.refd = false;
    }
    p.resolve(p.handler.outcomesOf(m, p.records, this.detection));
    // The input pushes the documents in the promise's first continuation, and the outputs copy their bytes
    // there; after that (an immediate runs after those microtasks) the buffer goes back to the worker.
    const buf = m.bytes.buffer as ArrayBuffer;
    setImmediate(() => {
      if (!this.dead) this.worker.postMessage({ t: 'recycle', buf } satisfies ToWorker, [buf]);
    });
  }

  private onDeath(why: string): void {
    if (this.dead) return;
    this.dead = true;
    if (this.closing) return;
    this.opts.logger.error('processing worker stopped; processing continues on the main thread', {
      reason: why,
      batchesReprocessed: this.pending.size,
    });
    // Unanswered batches, oldest first (Map order is insertion order, which is sequence order).
    const left = [...this.pending.values()];
    this.pending.clear();
    for (const p of left) p.resolve(p.handler.processHere(p.records));
  }
}

/** A file's handler whose records are processed in the worker; `local` is its in-thread twin (format, fallback). */
export class OffloadedHandler implements FileHandler {
  readonly formatName: string;
  readonly framing: FileHandler['framing'];
  private state: unknown;
  /** JSON of the parser state the worker reported after the last answered batch (what a fallback resumes from). */
  private reportedJson: string | undefined;
  private resumed = false;

  constructor(
    private readonly pool: ProcessingOffload,
    readonly h: number,
    private readonly local: FileHandler,
  ) {
    this.formatName = local.formatName;
    this.framing = local.framing;
    this.state = local.snapshot();
    this.reportedJson = JSON.stringify(this.state);
  }

  process(record: SourceRecord): {
    documents: ShippableDocument[];
    deadLetter?: RecordOutcome['deadLetter'];
  } {
    return this.processHere([record])[0]!;
  }

  snapshot(): unknown {
    return this.state;
  }

  restore(state: unknown): void {
    this.local.restore(state);
    this.state = this.local.snapshot();
    this.reportedJson = JSON.stringify(this.state);
    this.pool.post({ t: 'restore', h: this.h, state });
  }

  processBatch(records: SourceRecord[]): Promise<RecordOutcome[]> {
    return this.pool.submit(this, records);
  }

  release(): void {
    this.pool.post({ t: 'release', h: this.h });
  }

  /** The worker's answer as outcomes; the detection engine sees each document here, in order. */
  outcomesOf(
    m: BatchResult,
    records: readonly SourceRecord[],
    detection: Detection | undefined,
  ): RecordOutcome[] {
    const out: RecordOutcome[] = new Array<RecordOutcome>(records.length);
    let dead = 0;
    let state = 0;
    let wholeAt = 0;
    let k = 0;
    let start = 0;
    for (let i = 0; i < records.length; i++) {
      const n = m.counts[i]!;
      const documents: ShippableDocument[] = [];
      for (let j = 0; j < n; j++, k++) {
        const end = m.ends[k]!;
        const id = m.ids[k]!;
        documents.push(new EncodedDocument(id, STREAM_CODES[m.streams[k]!]!, m.bytes, start, end));
        start = end;
        if (!detection) continue;
        let alerts: ShippableDocument[];
        if (wholeAt < m.whole.length && m.whole[wholeAt]![0] === k)
          alerts = detection.engine.evaluate(detection.filter.rebuild(m.whole[wholeAt++]![1]), id);
        else alerts = detection.engine.advance(m.times[k]!);
        for (const a of alerts) documents.push(a);
      }
      let outcome: RecordOutcome = { documents };
      if (dead < m.dead.length && m.dead[dead]![0] === i)
        outcome = { ...outcome, deadLetter: m.dead[dead++]![1] };
      if (state < m.states.length && m.states[state]![0] === i) {
        const json = m.states[state++]![1] ?? undefined;
        this.reportedJson = json;
        outcome = { ...outcome, state: { json } };
      }
      out[i] = outcome;
    }
    return out;
  }

  /** In-thread processing (the worker is gone): resumes the local parser from the state last reported. */
  processHere(records: readonly SourceRecord[]): RecordOutcome[] {
    if (!this.resumed) {
      this.resumed = true;
      const json = this.reportedJson;
      if (json !== JSON.stringify(this.local.snapshot()))
        this.local.restore(json === undefined ? undefined : JSON.parse(json));
    }
    const watch = new StateWatch(this.local.snapshot());
    return records.map((r) => {
      let res: { documents: ShippableDocument[]; deadLetter?: RecordOutcome['deadLetter'] };
      try {
        res = this.local.process(r);
      } catch (err) {
        res = {
          documents: [],
          deadLetter: {
            time: new Date().toISOString(),
            stage: 'parse',
            code: `${this.formatName}.internal_error`,
            reason: `${r.source.path}:offset ${r.offset}: ${describeError(err)}`,
            inputId: r.source.inputId,
            path: r.source.path,
            offset: r.offset,
            record: redactText(r.text.slice(0, 64 * 1024)),
          },
        };
      }
      const changed = watch.changed(this.local.snapshot());
      return changed ? { ...res, state: changed } : res;
    });
  }
}
