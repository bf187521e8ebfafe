// The write path shared by `_bulk` and the single-document APIs, in Elasticsearch's order (TransportBulkAction,
// BulkOperation, TransportShardBulkAction, AuthorizationService#authorizeBulkItems):
// 1. missing targets are auto-created (a data stream when the matching template has `data_stream`, otherwise an
//    index), if action.auto_create_index and the template's `allow_auto_create` allow it, and if the principal
//    holds `indices:admin/auto_create` (create_index or auto_configure) on the name; a refusal fails every item
//    for that name;
// 2. each item is authorized: `indices:data/write/bulk[s]` on the concrete (write) index, then the item's own
//    action (`indices:data/write/index:op_type/create`, `...:op_type/index`, `indices:data/write/update`,
//    `indices:data/write/delete`) on its target; a refusal is a 403 item;
// 3. data stream rules: only `create` (op_type) goes to a data stream; append-only writes straight to a backing
//    index are refused; the default pipeline runs (logs@default-pipeline sets a missing @timestamp);
//    `@timestamp` is required;
// 4. the document is parsed against the write index's mapping; on a data stream with the failure store enabled, a
//    document Elasticsearch cannot index is stored in the failure index instead (201, `failure_store: used`).

import { EsError } from './errors.js';
import type { Cluster, DataStream } from './cluster.js';
import type { ConcreteIndex, Source, WriteResult } from './indices.js';
import type { Principal, Security } from './security.js';
import type { ParseResult } from './document-parser.js';

export type Op = 'create' | 'index' | 'update' | 'delete';

export interface WriteItem {
  op: Op;
  index: string;
  id: string | undefined;
  /** Parsed source (index/create) or update body. */
  body?: Source;
  /** The raw source line (for error positions). */
  raw?: string;
  ifSeqNo?: number;
  ifPrimaryTerm?: number;
  /** Index an auto-generated id (POST <index>/_doc, bulk item without _id). */
  autoId: boolean;
}

export interface WriteContext {
  cluster: Cluster;
  security: Security;
  principal: Principal;
  /** Versions with the failure store (8.19/9.1+) add `failure_store: not_enabled` to refused stream items. */
  failureStoreField: boolean;
}

const ITEM_ACTION: Record<Op, string> = {
  create: 'indices:data/write/index:op_type/create',
  index: 'indices:data/write/index:op_type/index',
  update: 'indices:data/write/update',
  delete: 'indices:data/write/delete',
};

/** Failures a failure store captures: ingest and mapping failures, not conflicts, rejections or security. */
const REDIRECTABLE = new Set([
  'document_parsing_exception',
  'mapper_parsing_exception',
  'strict_dynamic_mapping_exception',
  'illegal_argument_exception',
]);

function err(index: string, id: string, e: EsError): WriteResult {
  return { status: e.status, body: { _index: index, _id: id, error: e.toCause() } };
}

/** Auto-create every missing target (step 1). Returns the refusal of each name that could not be created. */
export function autoCreate(ctx: WriteContext, names: Iterable<string>): Map<string, EsError> {
  const refused = new Map<string, EsError>();
  for (const name of names) {
    if (ctx.cluster.lookup(name)) continue;
    const m = ctx.cluster.templates.findTemplate(name);
    const allowAuto = m?.[1].allow_auto_create as boolean | undefined;
    const clusterAllows = ctx.cluster.opts.autoCreateIndex;
    // AutoCreateIndex#shouldAutoCreate: the template's allow_auto_create overrides action.auto_create_index.
    if (allowAuto === false || (allowAuto === undefined && !clusterAllows)) {
      refused.set(
        name,
        new EsError(
          404,
          'index_not_found_exception',
          allowAuto === false
            ? `no such index [${name}] and composable template [${m![0]}] forbids index auto creation`
            : `no such index [${name}] and [action.auto_create_index] is [false]`,
          { 'resource.type': 'index_expression', 'resource.id': name, index_uuid: '_na_', index: name },
        ),
      );
      continue;
    }
    if (!ctx.security.indexAllowed(ctx.principal, 'indices:admin/auto_create', name)) {
      refused.set(name, ctx.security.denied(ctx.principal, 'indices:admin/auto_create', [name]));
      continue;
    }
    try {
      if (m && m[1].data_stream !== undefined) ctx.cluster.createDataStream(name);
      else ctx.cluster.createIndex(name, { settings: {} });
    } catch (e) {
      if (e instanceof EsError) refused.set(name, e);
      else throw e;
    }
  }
  return refused;
}

function redirect(
  ctx: WriteContext,
  ds: DataStream,
  item: WriteItem,
  id: string,
  e: { type: string; reason: string },
): WriteResult {
  const fs = ctx.cluster.failureIndexOf(ds);
  const failureDoc: Source = {
    '@timestamp': new Date().toISOString(),
    document: { id, routing: null, index: item.index, source: item.body ?? {} },
    error: { type: e.type, message: e.reason, stack_trace: `${e.type}: ${e.reason}` },
  };
  const r = fs.write('create', `${id}`, failureDoc, undefined);
  return { status: 201, body: { ...r.body, failure_store: 'used' } };
}

/** Execute one write item (steps 2-4); auto-creation has run. */
export function executeItem(ctx: WriteContext, item: WriteItem, newId: () => string): WriteResult {
  const { cluster, security, principal } = ctx;
  const id = item.id ?? newId();
  const target = cluster.lookup(item.index);
  if (!target) {
    const e = new EsError(404, 'index_not_found_exception', `no such index [${item.index}]`, {
      'resource.type': 'index_or_alias',
      'resource.id': item.index,
      index_uuid: '_na_',
      index: item.index,
    });
    return err(item.index, id, e);
  }
  let ds: DataStream | undefined;
  let idx: ConcreteIndex;
  if ('dataStream' in target) {
    ds = target.dataStream;
    if (item.op !== 'create')
      return err(
        item.index,
        id,
        new EsError(
          400,
          'illegal_argument_exception',
          'only write ops with an op_type of create are allowed in data streams',
        ),
      );
    if (ds.rolloverOnWrite) cluster.rolloverNow(ds);
    idx = cluster.writeIndexOf(ds);
  } else {
    idx = target.index;
    const parent = cluster.dataStreamOf(idx);
    if (parent && (item.op === 'create' || item.op === 'index')) {
      // TransportBulkAction#prohibitAppendWritesInBackingIndices
      if (item.op === 'create')
        return err(
          item.index,
          id,
          new EsError(
            400,
            'illegal_argument_exception',
            `index request with op_type=create targeting backing indices is disallowed, target corresponding data stream [${parent.name}] instead`,
          ),
        );
      if (item.ifSeqNo === undefined)
        return err(
          item.index,
          id,
          new EsError(
            400,
            'illegal_argument_exception',
            `index request with op_type=index and no if_primary_term and if_seq_no set targeting backing indices is disallowed, target corresponding data stream [${parent.name}] instead`,
          ),
        );
    }
  }
  // Step 2: the shard-level bulk action on the concrete index, then the item's own action on its target.
  if (!security.indexAllowed(principal, 'indices:data/write/bulk[s]', idx.name, idx.dataStream))
    return err(idx.name, id, security.denied(principal, 'indices:data/write/bulk[s]', [idx.name]));
  if (!security.indexAllowed(principal, ITEM_ACTION[item.op], item.index, ds?.name ?? idx.dataStream))
    return err(item.index, id, security.denied(principal, ITEM_ACTION[item.op], [item.index]));

  const cas =
    item.ifSeqNo !== undefined
      ? { ifSeqNo: item.ifSeqNo, ifPrimaryTerm: item.ifPrimaryTerm ?? 0 }
      : undefined;
  if (item.op === 'delete') return idx.delete(id, cas);

  const check = (
    doc: Source,
    raw?: string,
  ): { error: { status: number; type: string; reason: string } } | ParseResult => {
    const pe = cluster.applyDefaultPipeline(idx, doc);
    if (pe) return { error: { status: pe.status, ...pe.toCause() } };
    const parsed = idx.parse(doc, id, raw);
    if ('error' in parsed) return parsed;
    if (ds || idx.dataStream !== undefined) {
      const ts = doc['@timestamp'];
      const ignoredTs = parsed.ignored.includes('@timestamp');
      if (Array.isArray(ts) && ts.length > 1)
        return {
          error: {
            status: 400,
            type: idx.parseOptions().parsingType,
            reason:
              '[1:2] failed to parse: data stream timestamp field [@timestamp] encountered multiple values',
          },
        };
      if (ts === undefined || ts === null || ignoredTs)
        return {
          error: {
            status: 400,
            type: idx.parseOptions().parsingType,
            reason: '[1:2] failed to parse: data stream timestamp field [@timestamp] is missing',
          },
        };
    }
    return parsed;
  };

  const failed = (e: { status: number; type: string; reason: string; caused_by?: unknown }): WriteResult => {
    if (ds && ds.failureStoreEnabled && e.status === 400 && REDIRECTABLE.has(e.type))
      return redirect(ctx, ds, item, id, e);
    const { status, ...cause } = e;
    return {
      status,
      body: {
        _index: idx.name,
        _id: id,
        error: cause,
        ...(ds && ctx.failureStoreField && e.status === 400 && REDIRECTABLE.has(e.type)
          ? { failure_store: 'not_enabled' }
          : {}),
      },
    };
  };

  if (item.op === 'update') {
    const r = idx.update(id, item.body ?? {}, cas, (doc) => check(doc));
    if (r.status >= 400 && r.body.error) {
      const e = r.body.error as { type: string; reason: string };
      if (r.status === 400 && REDIRECTABLE.has(e.type) && !e.reason.startsWith('scripted'))
        return failed({ status: 400, ...e });
    }
    return r;
  }
  const doc = item.body ?? {};
  // The primary parses the document (and maps new fields) before the engine checks the id: a document that does
  // not parse is refused for that, even when its id exists (TransportShardBulkAction#executeBulkItemRequest).
  const parsed = check(doc, item.raw);
  if ('error' in parsed) return failed(parsed.error);
  return idx.write(item.op, id, doc, parsed, cas);
}
