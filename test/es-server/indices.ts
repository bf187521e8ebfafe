// A concrete index (a plain index, or a backing index of a data stream): its settings, mapping and documents,
// and the single-document operations of Elasticsearch's engine on one primary shard: `_seq_no` (per shard, +1 per
// operation), `_primary_term` (1), `_version` (+1 per change, kept across a delete), op_type create conflicts,
// compare-and-set with if_seq_no/if_primary_term, partial updates merged as XContentHelper#update merges them,
// upserts, noop detection. `_id` uniqueness is per index: a data stream's backing indices do not see each other's
// ids (as on Elasticsearch, where a `create` checks only the write index).

import { randomBytes } from 'node:crypto';
import { EsError } from './errors.js';
import { applyDynamic, parseDocument } from './document-parser.js';
import type { DocError, ParseResult } from './document-parser.js';
import { boolSetting, intSetting } from './index-settings.js';
import type { FlatSettings } from './index-settings.js';
import type { IndexMappingState } from './mapping-state.js';

export interface DocMeta {
  seqNo: number;
  primaryTerm: number;
  version: number;
  /** Fields in `_ignored` (ignore_malformed, ignore_above, dynamic fields beyond the limit). */
  ignored?: string[];
}

export type Source = Record<string, unknown>;

/** The answer to one write: HTTP status and the body (`{_index, _id, _version, result, ...}` or an error). */
export interface WriteResult {
  status: number;
  body: Record<string, unknown>;
}

export interface IndexOptions {
  parsingType: string;
  storeSources: boolean;
  checkMappings: boolean;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** XContentHelper#update: objects merge recursively, everything else is replaced. Returns whether it changed. */
export function mergeInto(target: Source, partial: Source): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(partial)) {
    const cur = target[k];
    if (isPlainObject(cur) && isPlainObject(v)) {
      if (mergeInto(cur, v)) changed = true;
    } else if (JSON.stringify(cur) !== JSON.stringify(v)) {
      target[k] = structuredClone(v);
      changed = true;
    }
  }
  return changed;
}

/** The parse result of an index whose documents are not checked (bench mode): nothing to add. */
const UNCHECKED: ParseResult = Object.freeze({
  added: new Map(),
  constants: new Map(),
  ignored: [] as string[],
});

export class ConcreteIndex {
  readonly uuid = randomBytes(16).toString('base64url').slice(0, 22);
  readonly creationDate = Date.now();
  /** Sources by id (null when sources are not kept). */
  readonly docs = new Map<string, Source | null>();
  readonly meta = new Map<string, DocMeta>();
  /** Versions and seq_no of deleted ids (the engine's tombstones, index.gc_deletes). */
  private readonly tombstones = new Map<string, DocMeta>();
  private nextSeqNo = 0;
  readonly primaryTerm = 1;

  constructor(
    readonly name: string,
    readonly settings: FlatSettings,
    readonly mapping: IndexMappingState,
    private readonly opts: IndexOptions,
    /** The data stream this is a backing (or failure) index of. */
    readonly dataStream?: string,
    readonly template?: string,
  ) {}

  get mode(): string {
    return (this.settings['index.mode'] as string | undefined) ?? 'standard';
  }

  get seqNo(): number {
    return this.nextSeqNo - 1;
  }

  private shards(): Record<string, number> {
    return { total: 2, successful: 1, failed: 0 };
  }

  private ok(status: number, id: string, m: DocMeta, result: string): WriteResult {
    return {
      status,
      body: {
        _index: this.name,
        _id: id,
        _version: m.version,
        result,
        _shards: this.shards(),
        _seq_no: m.seqNo,
        _primary_term: m.primaryTerm,
      },
    };
  }

  private conflict(id: string, reason: string): WriteResult {
    return {
      status: 409,
      body: {
        _index: this.name,
        _id: id,
        error: {
          type: 'version_conflict_engine_exception',
          reason: `[${id}]: ${reason}`,
          index_uuid: this.uuid,
          shard: '0',
          index: this.name,
        },
      },
    };
  }

  private casFailure(id: string, ifSeqNo: number, ifPrimaryTerm: number): WriteResult | undefined {
    const m = this.meta.get(id);
    if (!m)
      return this.conflict(
        id,
        `version conflict, required seqNo [${ifSeqNo}], primary term [${ifPrimaryTerm}]. but no document was found`,
      );
    if (m.seqNo !== ifSeqNo || m.primaryTerm !== ifPrimaryTerm)
      return this.conflict(
        id,
        `version conflict, required seqNo [${ifSeqNo}], primary term [${ifPrimaryTerm}]. current document has seqNo [${m.seqNo}] and primary term [${m.primaryTerm}]`,
      );
    return undefined;
  }

  /** The parse settings of this index (index.mapping.* with the logsdb defaults). */
  parseOptions(source?: string) {
    const logsdb = this.mode === 'logsdb';
    return {
      parsingType: this.opts.parsingType,
      ignoreMalformed: boolSetting(this.settings, 'index.mapping.ignore_malformed') ?? logsdb,
      coerce: boolSetting(this.settings, 'index.mapping.coerce') ?? true,
      ...(intSetting(this.settings, 'index.mapping.ignore_above') !== undefined
        ? { ignoreAbove: intSetting(this.settings, 'index.mapping.ignore_above')! }
        : logsdb
          ? { ignoreAbove: 8191 }
          : {}),
      totalFieldsLimit: intSetting(this.settings, 'index.mapping.total_fields.limit') ?? 1000,
      ignoreDynamicBeyondLimit:
        boolSetting(this.settings, 'index.mapping.total_fields.ignore_dynamic_beyond_limit') ?? logsdb,
      ...(source !== undefined ? { source } : {}),
    };
  }

  /** Check a document against the mapping; the caller applies the result once the write is accepted. */
  parse(doc: Source, id: string | undefined, raw?: string): { error: DocError } | ParseResult {
    if (!this.opts.checkMappings) return UNCHECKED;
    return parseDocument(this.mapping, doc, id, this.parseOptions(raw));
  }

  private store(id: string, doc: Source | null, parsed: ParseResult | undefined, version: number): DocMeta {
    if (parsed) applyDynamic(this.mapping, parsed);
    const m: DocMeta = {
      seqNo: this.nextSeqNo++,
      primaryTerm: this.primaryTerm,
      version,
      ...(parsed && parsed.ignored.length > 0 ? { ignored: parsed.ignored } : {}),
    };
    this.docs.set(id, this.opts.storeSources ? doc : null);
    this.meta.set(id, m);
    this.tombstones.delete(id);
    return m;
  }

  /**
   * index / create of a parsed document. `parsed` is the result of parse() (undefined when mappings are not
   * checked); a parse error must have been handled by the caller.
   */
  write(
    op: 'create' | 'index',
    id: string,
    doc: Source | null,
    parsed: ParseResult | undefined,
    cas?: { ifSeqNo: number; ifPrimaryTerm: number },
  ): WriteResult {
    const existing = this.meta.get(id);
    if (op === 'create' && existing)
      return this.conflict(
        id,
        `version conflict, document already exists (current version [${existing.version}])`,
      );
    if (cas) {
      const f = this.casFailure(id, cas.ifSeqNo, cas.ifPrimaryTerm);
      if (f) return f;
    }
    const prevVersion = existing?.version ?? this.tombstones.get(id)?.version ?? 0;
    const m = this.store(id, doc, parsed, prevVersion + 1);
    return this.ok(existing ? 200 : 201, id, m, existing ? 'updated' : 'created');
  }

  delete(id: string, cas?: { ifSeqNo: number; ifPrimaryTerm: number }): WriteResult {
    if (cas) {
      const f = this.casFailure(id, cas.ifSeqNo, cas.ifPrimaryTerm);
      if (f) return f;
    }
    const existing = this.meta.get(id);
    const version = (existing?.version ?? this.tombstones.get(id)?.version ?? 0) + 1;
    const m: DocMeta = { seqNo: this.nextSeqNo++, primaryTerm: this.primaryTerm, version };
    if (existing) {
      this.docs.delete(id);
      this.meta.delete(id);
    }
    this.tombstones.set(id, m);
    return this.ok(existing ? 200 : 404, id, m, existing ? 'deleted' : 'not_found');
  }

  /**
   * _update with a partial `doc` (merged), `doc_as_upsert` or `upsert`. Scripts are refused: the test server does
   * not run Painless.
   */
  update(
    id: string,
    body: Record<string, unknown>,
    cas: { ifSeqNo: number; ifPrimaryTerm: number } | undefined,
    parseAndCheck: (doc: Source) => { error: DocError } | ParseResult,
  ): WriteResult {
    const err = (
      status: number,
      type: string,
      reason: string,
      extra: Record<string, unknown> = {},
    ): WriteResult => ({
      status,
      body: { _index: this.name, _id: id, error: { type, reason, ...extra } },
    });
    if (body.script !== undefined)
      return err(
        400,
        'illegal_argument_exception',
        'scripted updates are not supported by the Elasticsearch test server (it does not run Painless)',
      );
    const partial = body.doc;
    const upsert = body.upsert;
    if (partial === undefined && upsert === undefined)
      return err(
        400,
        'action_request_validation_exception',
        'Validation Failed: 1: script or doc is missing;',
      );
    if (partial !== undefined && !isPlainObject(partial))
      return err(400, 'x_content_parse_exception', '[1:8] [UpdateRequest] failed to parse field [doc]');
    if (cas && upsert !== undefined)
      return err(
        400,
        'action_request_validation_exception',
        "Validation Failed: 1: upsert requests don't support `if_seq_no` and `if_primary_term`;",
      );
    const existing = this.meta.get(id);
    if (!existing) {
      if (cas) return this.casFailure(id, cas.ifSeqNo, cas.ifPrimaryTerm)!;
      const newDoc = body.doc_as_upsert === true ? partial : upsert;
      if (newDoc === undefined || !isPlainObject(newDoc))
        return err(404, 'document_missing_exception', `[${id}]: document missing`, {
          index_uuid: this.uuid,
          shard: '0',
          index: this.name,
        });
      const parsed = parseAndCheck(newDoc);
      if ('error' in parsed)
        return {
          status: parsed.error.status,
          body: { _index: this.name, _id: id, error: { ...parsed.error } },
        };
      const version = (this.tombstones.get(id)?.version ?? 0) + 1;
      const m = this.store(id, structuredClone(newDoc), parsed, version);
      return this.ok(201, id, m, 'created');
    }
    if (cas) {
      const f = this.casFailure(id, cas.ifSeqNo, cas.ifPrimaryTerm);
      if (f) return f;
    }
    const current = this.docs.get(id);
    if (current === null || current === undefined)
      return err(
        400,
        'illegal_argument_exception',
        'the test server keeps no sources (storeSources: false): cannot update',
      );
    const merged = structuredClone(current);
    const changed = partial === undefined ? false : mergeInto(merged, partial as Source);
    if (!changed && body.detect_noop !== false) return this.ok(200, id, existing, 'noop');
    const parsed = parseAndCheck(merged);
    if ('error' in parsed)
      return {
        status: parsed.error.status,
        body: { _index: this.name, _id: id, error: { ...parsed.error } },
      };
    const m = this.store(id, merged, parsed, existing.version + 1);
    return this.ok(200, id, m, 'updated');
  }

  /** GET <index>/_doc/<id>. */
  get(id: string): WriteResult {
    const m = this.meta.get(id);
    if (!m) return { status: 404, body: { _index: this.name, _id: id, found: false } };
    const src = this.docs.get(id);
    return {
      status: 200,
      body: {
        _index: this.name,
        _id: id,
        _version: m.version,
        _seq_no: m.seqNo,
        _primary_term: m.primaryTerm,
        ...(m.ignored ? { _ignored: m.ignored } : {}),
        found: true,
        _source: src ?? {},
      },
    };
  }
}

export function notFound(index: string): EsError {
  return new EsError(404, 'index_not_found_exception', `no such index [${index}]`, {
    'resource.type': 'index_or_alias',
    'resource.id': index,
    index_uuid: '_na_',
    index,
  });
}
