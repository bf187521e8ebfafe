// The main thread's side of a parallel replay: starts the worker threads (replay-worker.ts), deals the files to
// them as the replay admits them (file i to worker i mod n, each serving its files round robin), and turns each
// turn a worker sends back into processed records for the input (inputs/processed-turns.ts), running detection
// on the way, on the documents' projections, in file order: the engine sees the documents in the order a
// single-threaded replay gives it, so it raises the same alerts. Documents keep their bytes
// (ShippableDocument.serialized): the outputs copy them as they are.

import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { fieldsRead } from '../../detect/condition.js';
import type { Rule } from '../../detect/rule.schema.js';
import type {
  ProcessedRecord,
  ProcessedTurn,
  ProcessedTurnSource,
  ReplayFileJob,
} from '../../inputs/index.js';
import type {
  EcsDocument,
  JsonValue,
  SerializedSource,
  ShippableDocument,
} from '../../pipeline/document.types.js';
import { activeRedactor } from '../../pipeline/redact.js';
import type { Detector } from '../../pipeline/stages.types.js';
import {
  DOC_FIELDS,
  DOC_FLAGS,
  DOC_ID_END,
  DOC_META_END,
  DOC_MINIMAL,
  EVENT_EMPTY,
  MATCHED,
  minimalProjection,
  PLAIN,
  PROJECTED_VALUES,
  projectionFromValues,
  RECORD_FIELDS,
  STREAMS,
  type ToWorker,
  type TurnMessage,
  type WorkerInit,
  WIRE_EVENT_EMPTY,
} from './worker-protocol.js';

/** Turns a worker may hold ready per file (each about 1 MiB of input and its documents' bytes). */
const AHEAD = 3;
/**
 * Turns a worker may hold ready over all of its files, besides the one the main thread waits for: about 4 MiB
 * each on the main thread until consumed. Without it, a worker with many files filled every file's credits while
 * the outputs were stalled: 48 files of 10 MiB, `--workers 2`, the sink stopped for 15 s, 892-909 MiB peak RSS
 * (165 on one thread), growing with the number of files. With 24: 500 MiB, whatever the number of files.
 * Fewer cost throughput: the main thread takes the files' turns in one round robin across the workers, so a
 * worker that is a turn behind stops the other's consumption, which then needs room to keep working (48 files
 * without a stall: 6 turns 45 s, 12 turns 40.9 s, 24 turns 30.9-34.6 s, no budget 29.3-36.4 s; bench/README.md).
 */
const BUDGET = 8 * AHEAD;

/**
 * A worker running replay-worker beside this module. From source (tests, under tsx) the worker registers tsx
 * itself: on Node 20 a worker thread does not inherit the `--import tsx` loader of its parent.
 */
function startWorker(init: WorkerInit): Worker {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts'))
    return new Worker(new URL('./replay-worker.js', import.meta.url), { workerData: init });
  const tsx = import.meta.resolve('tsx/esm/api');
  const url = new URL('./replay-worker.ts', import.meta.url).href;
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`,
    { eval: true, workerData: init },
  );
}

/** The shape whose start, end and event end are at `docs[k]`; undefined when the worker did not make it. */
function shapeAt(
  docs: Int32Array,
  bytes: Buffer,
  k: number,
  eventEmpty: boolean,
): SerializedSource | undefined {
  const start = docs[k]!;
  return start < 0 ? undefined : { bytes, start, end: docs[k + 1]!, eventEnd: docs[k + 2]!, eventEmpty };
}

export interface WorkerTurnSourceOptions {
  readonly workers: number;
  readonly init: Omit<WorkerInit, 'fields' | 'ahead' | 'budget' | 'rules'>;
  /** The rules the detector evaluates (none without a detector). */
  readonly rules: readonly Rule[];
  /** The agent's detector (alerts stamped); evaluated here, on the main thread. */
  readonly detector?: Detector;
}

export class WorkerTurnSource implements ProcessedTurnSource {
  private readonly workers: Worker[] = [];
  /** Turns that arrived before they were asked for, by file number (dropped with the file's last turn). */
  private readonly queues = new Map<number, TurnMessage[]>();
  private readonly waiting = new Map<
    number,
    { resolve: (m: TurnMessage) => void; reject: (err: Error) => void }
  >();
  private failure: Error | undefined;
  /** Workers to start (at the first file), and files added so far. */
  private count = 1;
  private added = 0;

  constructor(private readonly opts: WorkerTurnSourceOptions) {}

  start(files: number): void {
    this.count = Math.max(1, Math.min(this.opts.workers, files));
  }

  /** File i goes to worker i mod n, which opens it now (the replay adds files as reader slots free up). */
  add(job: ReplayFileJob): number {
    if (this.workers.length === 0) this.startWorkers();
    const index = this.added++;
    this.queues.set(index, []);
    this.workerOf(index).postMessage({
      type: 'files',
      jobs: [{ ...job, index }],
    } satisfies ToWorker);
    return index;
  }

  private startWorkers(): void {
    const init: WorkerInit = {
      ...this.opts.init,
      fields: fieldsRead(),
      rules: this.opts.rules,
      ahead: AHEAD,
      budget: BUDGET,
    };
    for (let w = 0; w < this.count; w++) {
      const worker = startWorker(init);
      worker.on('message', (m: TurnMessage) => this.arrive(m));
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`replay worker exited with code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  async next(file: number): Promise<ProcessedTurn> {
    const m = await this.take(file);
    if (m.last) this.queues.delete(file);
    this.workerOf(file).postMessage({ type: 'credit', file } satisfies ToWorker);
    return this.decode(m);
  }

  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    for (const w of ws) w.removeAllListeners('exit');
    await Promise.all(ws.map((w) => w.terminate()));
  }

  private workerOf(file: number): Worker {
    return this.workers[file % this.workers.length]!;
  }

  private take(file: number): Promise<TurnMessage> {
    const q = this.queues.get(file)!;
    if (q.length > 0) return Promise.resolve(q.shift()!);
    if (this.failure) return Promise.reject(this.failure);
    // The worker serves a file it is asked for beyond its budget (it may be busy with the budget's other files).
    this.workerOf(file).postMessage({ type: 'want', file } satisfies ToWorker);
    return new Promise((resolve, reject) => this.waiting.set(file, { resolve, reject }));
  }

  private arrive(m: TurnMessage): void {
    const w = this.waiting.get(m.file);
    if (w) {
      this.waiting.delete(m.file);
      w.resolve(m);
    } else this.queues.get(m.file)!.push(m);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  /**
   * The records of a turn, with the alerts each document raised right after it (as FileProcessor does), made one
   * by one as the input hands them on: a turn holds a few thousand documents, and made all at once their objects
   * outlived the young generation's collections (copied, then promoted, then marked: on the main thread a
   * scavenge took three times as long as in a single-threaded replay).
   */
  private decode(m: TurnMessage): ProcessedTurn {
    return {
      records: this.records(m),
      bytesRead: m.bytesRead,
      last: m.last,
      warnings: m.warnings,
      ...(m.error !== undefined ? { error: m.error } : {}),
    };
  }

  private *records(m: TurnMessage): Generator<ProcessedRecord, void, undefined> {
    const bytes = Buffer.from(m.bytes);
    const meta = Buffer.from(m.meta);
    let metaAt = 0;
    const detector = this.opts.detector;
    const redactor = activeRedactor();
    let d = 0;
    for (let r = 0; r < m.recordCount; r++) {
      const endOffset = m.records[r * RECORD_FIELDS]!;
      const count = m.records[r * RECORD_FIELDS + 1]!;
      const letter = m.records[r * RECORD_FIELDS + 2]!;
      const documents: ShippableDocument[] = [];
      for (let k = 0; k < count; k++, d++) {
        const at = d * DOC_FIELDS;
        const flags = m.docs[at + DOC_FLAGS]!;
        const idEnd = m.docs[at + DOC_ID_END]!;
        const metaEnd = m.docs[at + DOC_META_END]!;
        const minimal = m.docs[at + DOC_MINIMAL]!;
        const id = meta.toString('utf8', metaAt, idEnd);
        const text = meta.toString('utf8', idEnd, metaEnd);
        metaAt = metaEnd;
        const projection =
          minimal >= 0
            ? minimalProjection(text, m.minimal[minimal]!)
            : minimal === PROJECTED_VALUES
              ? projectionFromValues(JSON.parse(text) as (JsonValue | null)[], m.projected)
              : (JSON.parse(text) as EcsDocument);
        const stream = STREAMS[flags & 3]!;
        if ((flags & PLAIN) !== 0)
          // No `event` object to put event.ingested in: the outputs get the document itself.
          documents.push({
            id,
            stream,
            op: 'create',
            doc: JSON.parse(bytes.toString('utf8', m.docs[at]!, m.docs[at + 1]!)) as EcsDocument,
          });
        else {
          const full = shapeAt(m.docs, bytes, at, (flags & EVENT_EMPTY) !== 0);
          const wire = shapeAt(m.docs, bytes, at + 3, (flags & WIRE_EVENT_EMPTY) !== 0);
          documents.push({
            id,
            stream,
            op: 'create',
            doc: projection,
            serialized: full ? (wire ? { full, wire } : { full }) : wire ? { wire } : {},
          });
        }
        if (detector)
          for (const alert of detector.evaluate(projection, id, (flags & MATCHED) === 0)) {
            redactor.document(alert.doc);
            documents.push(alert);
          }
      }
      yield letter >= 0
        ? { endOffset, documents, deadLetter: m.deadLetters[letter]! }
        : { endOffset, documents };
    }
  }
}
