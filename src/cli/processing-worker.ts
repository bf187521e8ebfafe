// The processing worker's entry (a worker thread started by offload.ts). Per batch of records it runs each
// file's FileProcessor (parse → normalize → enrich → document id), writes every document's JSON into one
// buffer that is transferred (not copied) back, and marks the documents the detection engine must see whole.
// It keeps no state but the parsers' own; it writes no logs and no metrics (the main thread does both).

import { parentPort, workerData } from 'node:worker_threads';
import { DetectionFilter } from '../detect/prefilter.js';
import { defaultEnrichers } from '../enrich/index.js';
import { fileContext, findFormat } from '../normalize/formats/handler-factory.js';
import { ALL_FORMATS } from '../normalize/formats/index.js';
import type { DeadLetter } from '../pipeline/dead-letter.types.js';
import { withNamespace } from '../pipeline/namespace.js';
import { StateWatch } from '../pipeline/parser-state.js';
import { FileProcessor } from '../pipeline/processor.js';
import type { SourceRecord } from '../pipeline/record.types.js';
import { STREAM_CODES, type BatchResult, type ToWorker, type WorkerInit } from './offload-protocol.js';

interface Handler {
  readonly proc: FileProcessor;
  readonly source: SourceRecord['source'];
  state: StateWatch;
}

const init = workerData as WorkerInit;
const filter = init.rules ? new DetectionFilter(init.rules) : undefined;
const handlers = new Map<number, Handler>();
let machineZone: string | undefined;
const localTimeZone = (): string => (machineZone ??= Intl.DateTimeFormat().resolvedOptions().timeZone);
const streamCode = new Map(STREAM_CODES.map((s, i) => [s, i]));

/**
 * Result buffers the main thread handed back: reused, so a steady flow does not leave a trail of megabyte
 * buffers for the collector (they are external memory, freed only when their wrappers are collected).
 */
const spares: ArrayBuffer[] = [];
const MAX_SPARES = 4;

/** A growable byte buffer whose memory is transferred at the end (never from Node's shared pool). */
class Bytes {
  buf: Buffer;
  len = 0;
  constructor(size: number) {
    const spare = spares.pop();
    this.buf = spare && spare.byteLength >= size ? Buffer.from(spare) : Buffer.allocUnsafeSlow(size);
  }
  write(text: string): void {
    if (this.buf.length - this.len < text.length * 3) {
      const need = this.len + Buffer.byteLength(text);
      if (need > this.buf.length) {
        const next = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
        this.buf.copy(next, 0, 0, this.len);
        this.buf = next;
      }
    }
    // encodeInto: about half the cost of Buffer#write for these ASCII-heavy documents.
    this.len += encoder.encodeInto(text, this.buf.subarray(this.len)).written;
  }
}

const encoder = new TextEncoder();
let lastTs = '';
let lastT = Number.NaN;

function processBatch(h: Handler, seq: number, records: SourceRecord[]): void {
  const counts = new Uint32Array(records.length);
  const ids: string[] = [];
  const streams: number[] = [];
  const times: number[] = [];
  const ends: number[] = [];
  const whole: BatchResult['whole'] = [];
  const dead: [number, DeadLetter][] = [];
  const states: [number, string | null][] = [];
  const out = new Bytes(Math.max(64 * 1024, records.length * 2048));
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const res = h.proc.process(record);
    if (res.deadLetter) dead.push([i, res.deadLetter]);
    counts[i] = res.documents.length;
    for (const d of res.documents) {
      const k = ids.length;
      ids.push(d.id);
      streams.push(streamCode.get(d.stream)!);
      const ts = d.doc['@timestamp'];
      times.push(ts === lastTs ? lastT : (lastT = Date.parse((lastTs = ts))));
      if (filter?.needs(d.doc)) whole.push([k, filter.values(d.doc)]);
      out.write(JSON.stringify(withNamespace(d.doc, d.stream, init.namespace)));
      ends.push(out.len);
    }
    const changed = h.state.changed(h.proc.snapshot());
    if (changed) states.push([i, changed.json ?? null]);
  }
  const bytes = new Uint8Array(out.buf.buffer, out.buf.byteOffset, out.len);
  const result: BatchResult = {
    t: 'result',
    seq,
    counts,
    bytes,
    ends: Uint32Array.from(ends),
    ids,
    streams: Uint8Array.from(streams),
    times: Float64Array.from(times),
    whole,
    dead,
    states,
  };
  parentPort!.postMessage(result, [bytes.buffer as ArrayBuffer]);
}

parentPort!.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'open': {
      const format = findFormat(ALL_FORMATS, m.format);
      if (!format) throw new Error(`processing worker: unknown format '${m.format}'`);
      const ctx = fileContext(m.source, {
        timezone: m.timezone ?? localTimeZone,
        observerHostname: init.observerHostname,
        easLogTokens: m.easLogTokens,
      });
      const proc = new FileProcessor(format, ctx, { enrichers: defaultEnrichers });
      handlers.set(m.h, { proc, source: m.source, state: new StateWatch(proc.snapshot()) });
      break;
    }
    case 'restore': {
      const h = handlers.get(m.h)!;
      h.proc.restore(m.state);
      h.state = new StateWatch(h.proc.snapshot());
      break;
    }
    case 'batch':
      processBatch(handlers.get(m.h)!, m.seq, m.records);
      break;
    case 'release':
      handlers.delete(m.h);
      break;
    case 'recycle':
      if (spares.length < MAX_SPARES) spares.push(m.buf);
      break;
  }
});
