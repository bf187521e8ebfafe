// The pure middle of the pipeline for one file: record → parse → normalize → enrich → redact → detect. Returns
// the documents to ship (events and alerts) or a dead letter; it never throws for bad input. A parser bug that
// throws is caught here and turned into a dead letter too, so one record can never stop a file.
//
// Redaction happens here, once, for every format: every string of every document (event.original,
// winlog.event_data.*, header maps, decoded query values...) and every value under a credential key. Every
// field is derived from the record, so a record without a trigger literal yields documents without secrets
// and costs one scan; binary records (EVTX, no text to scan) are always walked; a format whose normalizer
// masks credential columns itself (IIS) is judged by its masked event.original (redactionScope). Detection
// sees redacted documents, so alerts built from them carry no secret either.

import { createHash } from 'node:crypto';
import type { DeadLetter } from './dead-letter.types.js';
import { documentId } from './document-id.js';
import type { DocumentStream, EcsDocument, ShippableDocument } from './document.types.js';
import { describeError } from './errors.js';
import type { SourceRecord } from './record.types.js';
import { activeRedactor, redactText } from './redact.js';
import type { Detector, Enricher, FileContext, FormatDefinition, RecordParser } from './stages.types.js';

/** Longest raw record text kept in a dead letter. */
export const DEAD_LETTER_RECORD_LIMIT = 64 * 1024;

export interface ProcessResult {
  readonly documents: ShippableDocument[];
  readonly deadLetter?: DeadLetter;
}

export interface ProcessorDeps {
  readonly enrichers: readonly Enricher[];
  readonly detector?: Detector;
  readonly now?: () => Date;
}

function originalOf(doc: EcsDocument): string | undefined {
  const e = doc['event'];
  const o = e !== null && typeof e === 'object' && !Array.isArray(e) ? e['original'] : undefined;
  return typeof o === 'string' ? o : undefined;
}

export function streamOf(doc: EcsDocument): DocumentStream {
  const ds = doc['data_stream'];
  const dataset = ds && typeof ds === 'object' && !Array.isArray(ds) ? ds['dataset'] : undefined;
  if (dataset === 'exchange.application') return 'application';
  if (dataset === 'casguard.alerts') return 'alerts';
  return 'activesync';
}

export class FileProcessor<E = unknown> {
  private readonly parser: RecordParser<E>;
  /** The input id, prefixed with the agent's id when the context scopes ids (FileContext.idScope). */
  private readonly inputScope: string;

  constructor(
    private readonly format: FormatDefinition<E>,
    private readonly ctx: FileContext,
    private readonly deps: ProcessorDeps,
  ) {
    this.parser = format.createParser(ctx);
    this.inputScope =
      ctx.idScope !== undefined ? `${ctx.idScope}\0${ctx.source.inputId}` : ctx.source.inputId;
  }

  get formatName(): string {
    return this.format.name;
  }

  snapshot(): unknown {
    return this.parser.snapshot();
  }

  restore(state: unknown): void {
    if (state !== undefined) this.parser.restore(state);
  }

  process(record: SourceRecord): ProcessResult {
    let docs: EcsDocument[];
    let event: E;
    try {
      const result = this.parser.parse(record);
      if (result.kind === 'skip') return { documents: [] };
      if (result.kind === 'failure')
        return { documents: [], deadLetter: this.parseDeadLetter(record, result.code, result.reason) };
      event = result.event;
      docs = this.format.normalize(event, record, this.ctx);
    } catch (err) {
      return {
        documents: [],
        deadLetter: this.parseDeadLetter(
          record,
          `${this.format.name}.internal_error`,
          `parser error: ${describeError(err)}`,
        ),
      };
    }
    const out: ShippableDocument[] = [];
    const position = record.recordId ?? record.offset;
    const redactor = activeRedactor();
    const byOriginal = this.format.redactionScope === 'original';
    const redactRecord = record.payload !== undefined || (!byOriginal && redactor.triggered(record.text));
    for (let i = 0; i < docs.length; i++) {
      const doc = docs[i]!;
      for (const enrich of this.deps.enrichers) enrich(doc);
      if (redactRecord || (byOriginal && redactor.triggered(this.scopeText(doc, event, record)))) {
        redactor.document(doc);
      }
      const id = documentId(this.inputScope, this.ctx.source.fingerprint, position, i);
      out.push({ id, stream: streamOf(doc), op: 'create', doc });
      if (this.deps.detector) {
        for (const alert of this.deps.detector.evaluate(doc, id)) {
          redactor.document(alert.doc);
          out.push(alert);
        }
      }
    }
    return { documents: out };
  }

  /** What a format with redactionScope 'original' is judged by: event.original, else the normalizer's text. */
  private scopeText(doc: EcsDocument, event: E, record: SourceRecord): string {
    return originalOf(doc) ?? this.format.redactionText?.(event, record) ?? record.text;
  }

  private parseDeadLetter(record: SourceRecord, code: string, reason: string): DeadLetter {
    const text =
      record.text.length > DEAD_LETTER_RECORD_LIMIT
        ? record.text.slice(0, DEAD_LETTER_RECORD_LIMIT)
        : record.text;
    return {
      time: (this.deps.now?.() ?? new Date()).toISOString(),
      stage: 'parse',
      code,
      reason: `${record.source.path}:${record.line !== undefined ? `${record.line}:` : ''}offset ${record.offset}: ${redactText(reason)}`,
      inputId: record.source.inputId,
      path: record.source.path,
      offset: record.offset,
      ...(record.line !== undefined ? { line: record.line } : {}),
      record: redactText(text),
    };
  }
}

/** A short stable hash for fingerprints and the like. */
export function shortHash(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 32);
}
