// A replay worker thread: reads its share of the replay's files, turn by turn as the tail reader would (up to
// TURN_BUDGET_BYTES per turn, in reads of READ_CHUNK_BYTES, the file's last records in a turn of their own),
// frames, parses, normalizes, enriches, redacts and identifies every record with the same file handler the main
// thread would use, and serializes each document in each shape the outputs write (WorkerInit.shapes: the whole
// document, the Elasticsearch wire shape without the stream constants). What goes back per turn
// (worker-protocol.ts): the documents' JSON in one transferred buffer, offsets, and in another their ids and
// projections of the fields detection reads. Detection, outputs and acknowledgements stay on the main thread, in file order.
//
// A turn must be the tail reader's turn (TURN_BUDGET_BYTES): the main thread hands files on turn by turn, round
// robin, as a single-threaded replay does, and detection's alerts depend on that order (with 256 KiB turns,
// 8 % less CPU, the KB 2851708 scenario's documents came out in another order: test/e2e/parallel-replay.test.ts).
//
// A worker serves its files round robin, one turn each, passing over a file that may not have one: at most `ahead`
// turns ahead per file (credits) and `budget` over all of its files, but for a file the main thread waits for
// (served first), so memory stays bounded whatever the speed of the outputs and however many files it holds.

import { framingDeadLetter, processFramed } from '../../pipeline/framed-record.js';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { fieldsRead, getField } from '../../detect/condition.js';
import { RuleRuntime } from '../../detect/rule-runtime.js';
import { agentMetadataEnricher } from '../../enrich/agent-metadata.js';
import { defaultEnrichers } from '../../enrich/index.js';
import { createFramer } from '../../framing/index.js';
import type { Framer, FramedRecord, FramerWarning } from '../../framing/framer.types.js';
import type { ReplayFileJob } from '../../inputs/index.js';
import { MIN_READ_BYTES, READ_CHUNK_BYTES, TURN_BUDGET_BYTES } from '../../inputs/tail-reader.js';
import { createFileHandlerFactory } from '../../normalize/formats/handler-factory.js';
import { ALL_FORMATS } from '../../normalize/formats/index.js';
import { enterWireShape, leaveWireShape } from '../../outputs/elasticsearch/prepare-document.js';
import type { DeadLetter } from '../../pipeline/dead-letter.types.js';
import type { EcsDocument } from '../../pipeline/document.types.js';
import { describeError } from '../../pipeline/errors.js';
import { withNamespace } from '../../pipeline/namespace.js';
import { installRedaction } from '../../pipeline/redact.js';
import type { FileHandler, FileHandlerFactory } from '../../pipeline/stages.types.js';
import {
  DOC_FIELDS,
  EVENT_EMPTY,
  MATCHED,
  MINIMAL_FIELDS,
  type MinimalValues,
  PLAIN,
  project,
  PROJECTED_VALUES,
  projectedValues,
  RECORD_FIELDS,
  STREAMS,
  type ToWorker,
  type TurnMessage,
  type WorkerInit,
  WIRE_EVENT_EMPTY,
} from './worker-protocol.js';

const init = workerData as WorkerInit;
installRedaction(init.redaction);
const enrichers = [...defaultEnrichers, agentMetadataEnricher(init.agent)];
const factories = new Map<string, FileHandlerFactory>();
function factoryFor(format: string): FileHandlerFactory {
  let f = factories.get(format);
  if (!f) {
    f = createFileHandlerFactory({
      formats: ALL_FORMATS,
      format,
      timezone: init.timezone,
      observerHostname: init.observerHostname,
      ...(init.easLogTokens === true ? { easLogTokens: true } : {}),
      ...(init.preserveOriginalEvent === true ? { preserveOriginalEvent: true } : {}),
      ...(init.idScope !== undefined ? { idScope: init.idScope } : {}),
      deps: { enrichers },
    });
    factories.set(format, f);
  }
  return f;
}

// Every condition of every rule, compiled as the engine compiles them (RuleRuntime).
const predicates = init.rules.flatMap((r) => new RuleRuntime(r, 0, init.namespace, () => undefined).preds);
const toPaths = (fields: readonly string[]): string[][] =>
  [...new Set(fields.filter((f) => f !== '@timestamp'))].map((f) => f.split('.'));
/** A matched document's projection: the minimal fields and every field detection reads. */
const PROJECTED = toPaths([...MINIMAL_FIELDS.map((p) => p.join('.')), ...init.fields, ...fieldsRead()]);

function matchesAny(doc: EcsDocument): boolean {
  for (const p of predicates) if (p(doc)) return true;
  return false;
}

/** A growable buffer with its own ArrayBuffer (transferable). */
class Bytes {
  len = 0;
  constructor(public buf: Buffer) {}
  write(s: string): void {
    if (this.buf.length - this.len < s.length * 3) {
      const need = this.len + Buffer.byteLength(s);
      if (need > this.buf.length) {
        const next = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
        this.buf.copy(next, 0, 0, this.len);
        this.buf = next;
      }
    }
    this.len += this.buf.write(s, this.len);
  }
}

class Growable<T extends Float64Array | Int32Array> {
  n = 0;
  constructor(public a: T) {}
  push(v: number): void {
    if (this.n === this.a.length) {
      const next = new (this.a.constructor as new (n: number) => T)(this.a.length * 2);
      next.set(this.a);
      this.a = next;
    }
    this.a[this.n++] = v;
  }
}

// `"ingested":"<marker>"` can only appear where the serializer wrote that key: quotes inside JSON strings are
// escaped, and the marker is random per worker.
const MARKER = randomBytes(12).toString('hex');
const NEEDLE = `"ingested":"${MARKER}"`;

/**
 * `doc`'s JSON in a wire shape (enterWireShape) with MARKER as event.ingested, the document left as it was: two
 * calls, as the output makes them, so that a document's shapes cost no closure.
 */
function shapedJson(doc: EcsDocument, stream: (typeof STREAMS)[number], sendConstants: boolean): string {
  const mark = enterWireShape(doc, stream, MARKER, sendConstants);
  try {
    return JSON.stringify(doc);
  } finally {
    leaveWireShape(mark);
  }
}

interface FileState {
  readonly job: ReplayFileJob & { readonly index: number };
  readonly handler: FileHandler;
  readonly fd: number;
  readonly size: number;
  readonly framer: Framer;
  readonly warnings: FramerWarning[];
  pos: number;
  credits: number;
  /** The file could not be opened (its one turn says so). */
  readonly openError?: string;
}

class TurnBuilder {
  readonly bytes: Bytes;
  /** Each document's id and projection (worker-protocol.ts DOC_ID_END, DOC_META_END). */
  readonly meta: Bytes;
  /** `expect`: the bytes of log this turn reads (its documents take about three times that). */
  constructor(expect: number) {
    this.bytes = new Bytes(Buffer.allocUnsafeSlow(Math.max(64 << 10, Math.min(4 << 20, 4 * expect))));
    this.meta = new Bytes(Buffer.allocUnsafeSlow(Math.max(16 << 10, Math.min(1 << 20, expect >> 2))));
  }
  readonly records = new Growable(new Float64Array(3 * 1024));
  readonly docs = new Growable(new Int32Array(DOC_FIELDS * 1024));
  readonly deadLetters: DeadLetter[] = [];
  /** MINIMAL_FIELDS' values of this turn's unmatched documents, each once (the last one used is looked at first). */
  readonly minimal: MinimalValues[] = [];
  private readonly minimalIndex = new Map<string, number>();
  private lastMinimal = -1;

  addRecord(endOffset: number, docs: number, deadLetter: DeadLetter | undefined): void {
    this.records.push(endOffset);
    this.records.push(docs);
    this.records.push(deadLetter ? this.deadLetters.push(deadLetter) - 1 : -1);
  }

  addDocument(id: string, stream: (typeof STREAMS)[number], doc: EcsDocument): void {
    const matched = matchesAny(doc);
    const d = this.docs;
    d.push(this.shapes(stream, doc, matched));
    const m = this.meta;
    m.write(id);
    d.push(m.len);
    const ts = doc['@timestamp'];
    let minimal: number;
    let text: string;
    // A matched document's projection crosses as its values (worker-protocol.ts PROJECTED_VALUES) where it can.
    const values = matched ? projectedValues(doc, PROJECTED) : undefined;
    if (values !== undefined) {
      minimal = PROJECTED_VALUES;
      text = JSON.stringify(values);
    } else {
      minimal = matched || typeof ts !== 'string' ? -1 : this.minimalOf(doc);
      text =
        minimal < 0 ? JSON.stringify(project(doc, matched ? PROJECTED : MINIMAL_FIELDS)) : (ts as string);
    }
    m.write(text);
    d.push(m.len);
    d.push(minimal);
  }

  /** The entry of `minimal` holding this document's MINIMAL_FIELDS; -1 when one of them is not a string. */
  private minimalOf(doc: EcsDocument): number {
    const values: (string | undefined)[] = [];
    for (const path of MINIMAL_FIELDS) {
      const v = getField(doc, path);
      if (v !== undefined && typeof v !== 'string') return -1;
      values.push(v);
    }
    const last = this.minimal[this.lastMinimal];
    if (last !== undefined && values.every((v, i) => v === last[i])) return this.lastMinimal;
    // \u0000 cannot end a value's part ambiguously here: each value is prefixed with its presence.
    const key = values.map((v) => (v === undefined ? '0' : `1${v}`)).join('\u0000');
    let i = this.minimalIndex.get(key);
    if (i === undefined) {
      i = this.minimal.push(values) - 1;
      this.minimalIndex.set(key, i);
    }
    return (this.lastMinimal = i);
  }

  /** Writes the document's shapes (six offsets in `docs`); returns its flags. */
  private shapes(stream: (typeof STREAMS)[number], doc: EcsDocument, matched: boolean): number {
    const out = withNamespace(doc, stream, init.namespace);
    const d = this.docs;
    const ev = out['event'];
    let flags = STREAMS.indexOf(stream) | (matched ? MATCHED : 0);
    if (
      ev === null ||
      typeof ev !== 'object' ||
      Array.isArray(ev) ||
      Object.prototype.hasOwnProperty.call(ev, 'ingested')
    ) {
      const start = this.bytes.len;
      this.bytes.write(JSON.stringify(out));
      d.push(start);
      d.push(this.bytes.len);
      d.push(-1);
      for (let i = 0; i < 3; i++) d.push(-1);
      return flags | PLAIN;
    }
    // Each shape exactly as the output serializes it, with a marker for event.ingested (the last key of `event`).
    // (`alerts` with the constants sent: only event.ingested changes; then the output's wire shape.)
    if (init.shapes.full) {
      if (this.put(shapedJson(out, 'alerts', true))) flags |= EVENT_EMPTY;
    } else for (let i = 0; i < 3; i++) d.push(-1);
    if (init.shapes.wire) {
      if (this.put(shapedJson(out, stream, false))) flags |= WIRE_EVENT_EMPTY;
    } else for (let i = 0; i < 3; i++) d.push(-1);
    return flags;
  }

  /** Writes `json` without its event.ingested marker: start, end, event end; true when `event` had no other key. */
  private put(json: string): boolean {
    const w = this.bytes;
    const start = w.len;
    const k = json.indexOf(NEEDLE);
    const empty = json.charCodeAt(k - 1) === 0x7b; // '{': the only key of `event`
    w.write(json.slice(0, empty ? k : k - 1));
    const eventEnd = w.len - start;
    w.write(json.slice(k + NEEDLE.length));
    this.docs.push(start);
    this.docs.push(w.len);
    this.docs.push(eventEnd);
    return empty;
  }

  message(f: FileState, last: boolean, bytesRead: number, error?: string): TurnMessage {
    return {
      type: 'turn',
      file: f.job.index,
      last,
      bytesRead,
      records: this.records.a,
      recordCount: this.records.n / RECORD_FIELDS,
      docs: this.docs.a,
      docCount: this.docs.n / DOC_FIELDS,
      bytes: this.bytes.buf.buffer as ArrayBuffer,
      meta: this.meta.buf.buffer as ArrayBuffer,
      minimal: this.minimal,
      projected: PROJECTED,
      deadLetters: this.deadLetters,
      warnings: f.warnings.splice(0),
      ...(error !== undefined ? { error } : {}),
    };
  }
}

/** As RecordDispatcher.handle and FileProcessor.process, without detection (the main thread's). */
function handleRecords(f: FileState, records: FramedRecord[], out: TurnBuilder): void {
  const { job, handler } = f;
  for (const rec of records) {
    if (rec.error) {
      out.addRecord(rec.endOffset, 0, framingDeadLetter(rec, rec.error, job.source));
      continue;
    }
    const result = processFramed(handler, job.source, rec);
    for (const d of result.documents) out.addDocument(d.id, d.stream, d.doc);
    out.addRecord(rec.endOffset, result.documents.length, result.deadLetter);
  }
}

/** One turn of one file, as TailReader.servicePlain reads it. */
function turn(f: FileState): TurnMessage {
  // A turn reads up to 1 MiB; a backfill of small files reads a few KiB per turn, in a buffer of that size.
  const out = new TurnBuilder(Math.min(TURN_BUDGET_BYTES, f.size - f.pos));
  if (f.openError !== undefined) return out.message(f, true, 0, f.openError);
  let total = 0;
  try {
    while (total < TURN_BUDGET_BYTES) {
      const want = Math.min(READ_CHUNK_BYTES, Math.max(MIN_READ_BYTES, f.size - f.pos));
      const buf = Buffer.allocUnsafe(want);
      const n = readSync(f.fd, buf, 0, want, f.pos);
      if (n === 0) break;
      f.pos += n;
      total += n;
      handleRecords(f, f.framer.push(buf.subarray(0, n)), out);
    }
    if (total > 0) return out.message(f, false, total);
    handleRecords(f, f.framer.end(), out);
    return out.message(f, true, 0);
  } catch (err) {
    return out.message(f, true, total, describeError(err));
  }
}

function open(job: ReplayFileJob & { index: number }): FileState {
  try {
    return openFile(job);
  } catch (err) {
    const none = undefined as unknown as FileHandler & Framer;
    const error = describeError(err);
    return {
      job,
      handler: none,
      framer: none,
      fd: -1,
      size: 0,
      warnings: [],
      pos: 0,
      credits: init.ahead,
      openError: error,
    };
  }
}

function openFile(job: ReplayFileJob & { index: number }): FileState {
  const handler = factoryFor(job.format)(job.source, '');
  if (!handler) throw new Error(`no format ${job.format}`);
  if (job.state !== undefined) handler.restore(job.state);
  const warnings: FramerWarning[] = [];
  const framer = createFramer(job.kind, {
    startOffset: job.startOffset,
    encoding: job.encoding,
    maxRecordBytes: init.maxRecordBytes,
    onWarning: (w) => warnings.push(w),
  });
  const fd = openSync(job.path, 'r');
  return {
    job,
    handler,
    fd,
    size: fstatSync(fd).size,
    framer,
    warnings,
    pos: framer.feedFrom,
    credits: init.ahead,
  };
}

/** This worker's files not yet read to their end, by number and in the order they were dealt. */
const files = new Map<number, FileState>();
const order: FileState[] = [];
/** Where in `order` the round robin goes on. */
let cursor = 0;
/** Turns sent and not yet consumed (credited back), over all files: at most `init.budget` unless wanted. */
let outstanding = 0;
/** Files the main thread waits for and holds no turn of: served first, beyond the budget. */
const wanted = new Set<number>();
let wake: (() => void) | undefined;
const port = parentPort!;

port.on('message', (m: ToWorker) => {
  if (m.type === 'files') {
    for (const job of m.jobs) {
      const f = open(job);
      files.set(job.index, f);
      order.push(f);
    }
    void run();
  } else if (m.type === 'credit') {
    outstanding -= 1;
    const f = files.get(m.file);
    if (f) f.credits += 1;
  } else if (files.has(m.file)) wanted.add(m.file);
  wake?.();
});

/**
 * The file to serve next: one the main thread waits for, else (with room in the budget) the next file with a
 * credit in round-robin order from the cursor, the order in which the main thread asks for its files' turns.
 */
function pick(): FileState | undefined {
  for (const i of wanted) {
    const f = files.get(i);
    if (f === undefined) wanted.delete(i);
    else if (f.credits > 0) return f;
  }
  if (outstanding >= init.budget) return undefined;
  for (let k = 0; k < order.length; k++) {
    const f = order[(cursor + k) % order.length]!;
    if (f.credits > 0) return f;
  }
  return undefined;
}

let running = false;
async function run(): Promise<void> {
  if (running) return;
  running = true;
  // A file that may not have a turn is passed over, never waited for: the main thread asks for its files' turns in
  // its own order (files join as reader slots free up), so a worker that waited for one file's credit while the
  // main thread waited for another file's turn would wait forever (it did: `replay --workers 2` of three large
  // files hung). Each file stays at most `ahead` turns ahead, and all of them together at most `budget`, but for
  // a file the main thread waits for: it holds none of that file's turns, so serving it can only end a wait.
  // After each turn the worker lets its messages in (credits, wants, files dealt meanwhile).
  while (files.size > 0) {
    const f = pick();
    if (f === undefined) {
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    f.credits -= 1;
    outstanding += 1;
    wanted.delete(f.job.index);
    const at = order.indexOf(f);
    const msg = turn(f);
    if (msg.last) {
      // Its descriptor, parser and framer go now: a backfill deals thousands of files in turn.
      if (f.fd >= 0) closeSync(f.fd);
      files.delete(f.job.index);
      order.splice(at, 1);
      cursor = order.length > 0 ? at % order.length : 0;
    } else cursor = (at + 1) % order.length;
    port.postMessage(msg, [
      msg.bytes,
      msg.meta,
      msg.records.buffer as ArrayBuffer,
      msg.docs.buffer as ArrayBuffer,
    ]);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  running = false;
}
