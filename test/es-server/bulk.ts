// `_bulk`: the NDJSON body parsed as BulkRequestParser parses it (one action line, then a source line except for
// `delete`; the body must end with a newline), validated as a whole as BulkRequest#validate does (one bad item
// refuses the whole request: a 513-byte `_id` is "Validation Failed: 1: id [...] is too long, must be no longer
// than 512 bytes but was: 513;"), authorized as a composite request (`indices:data/write/bulk` on any index), then
// executed item by item (write-path.ts) with fault injection. Items answer in request order.
// The URL's index (`POST /<index>/_bulk`) is the default of action lines without `_index` (an item answers with
// the index it went to, as Elasticsearch does); `rest.action.multi.allow_explicit_index: false` (which refuses
// `_index` in action lines) is not modelled.

import { createHash } from 'node:crypto';
import { EsError } from './errors.js';
import { NO_STATUS, type EsFaultInjector } from './faults.js';
import { autoCreate, executeItem } from './write-path.js';
import type { Op, WriteContext, WriteItem } from './write-path.js';

const ACTION_PARAMS: Record<Op, string[]> = {
  index: [
    '_index',
    '_id',
    'routing',
    'if_seq_no',
    'if_primary_term',
    'version',
    'version_type',
    'pipeline',
    'require_alias',
    'require_data_stream',
    'op_type',
    'dynamic_templates',
    'list_executed_pipelines',
  ],
  create: [
    '_index',
    '_id',
    'routing',
    'if_seq_no',
    'if_primary_term',
    'version',
    'version_type',
    'pipeline',
    'require_alias',
    'require_data_stream',
    'dynamic_templates',
    'list_executed_pipelines',
  ],
  update: [
    '_index',
    '_id',
    'routing',
    'if_seq_no',
    'if_primary_term',
    'retry_on_conflict',
    'require_alias',
    '_source',
  ],
  delete: ['_index', '_id', 'routing', 'if_seq_no', 'if_primary_term', 'version', 'version_type'],
};

/** A bulk request as it arrived (EsTestServer.bulkRequests). */
export interface KeptBulkRequest {
  readonly index: string | undefined;
  readonly body: Buffer;
}

/**
 * The items of kept bulk requests as Elasticsearch reads them: each action line's op, id and effective index (its
 * own `_index`, else the URL's), whether the line named it, the action line as sent and the source line.
 */
export function bulkItems(
  requests: readonly KeptBulkRequest[],
): { op: string; id: string; index: string; named: boolean; action: string; source: string }[] {
  const out: { op: string; id: string; index: string; named: boolean; action: string; source: string }[] = [];
  for (const r of requests) {
    const lines = r.body.toString('utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const action = JSON.parse(lines[i]!) as Record<string, { _index?: string; _id: string }>;
      const op = Object.keys(action)[0]!;
      const meta = action[op]!;
      out.push({
        op,
        id: meta._id,
        index: meta._index ?? r.index ?? '',
        named: meta._index !== undefined,
        action: lines[i]!,
        source: lines[i + 1]!,
      });
    }
  }
  return out;
}

export interface BulkStats {
  bulkItems: number;
  itemsByStatus: Record<number, number>;
}

/** Parse the NDJSON body into items. Throws the 400 Elasticsearch answers for a malformed body. */
export function parseBulk(
  text: string,
  defaultIndex: string | undefined,
  parseSources: boolean,
): WriteItem[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else if (lines.length > 0)
    throw new EsError(
      400,
      'illegal_argument_exception',
      'The bulk request must be terminated by a newline [\\n]',
    );
  const items: WriteItem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    if (lines[i]!.trim() === '') continue;
    let action: unknown;
    try {
      action = JSON.parse(lines[i]!);
    } catch {
      throw new EsError(
        400,
        'x_content_parse_exception',
        `[${lineNo}:1] Unexpected character in action/metadata line [${lineNo}]`,
      );
    }
    if (typeof action !== 'object' || action === null || Array.isArray(action))
      throw new EsError(
        400,
        'illegal_argument_exception',
        `Malformed action/metadata line [${lineNo}], expected START_OBJECT or END_OBJECT but found [VALUE_STRING]`,
      );
    const keys = Object.keys(action);
    const op = keys[0] as Op;
    if (keys.length !== 1 || !(op in ACTION_PARAMS))
      throw new EsError(
        400,
        'illegal_argument_exception',
        `Malformed action/metadata line [${lineNo}], expected one of [create, delete, index, update] but found [${keys[0] ?? ''}]`,
      );
    const meta = (action as Record<string, Record<string, unknown>>)[op] ?? {};
    for (const k of Object.keys(meta))
      if (!ACTION_PARAMS[op].includes(k))
        throw new EsError(
          400,
          'illegal_argument_exception',
          `Action/metadata line [${lineNo}] contains an unknown parameter [${k}]`,
        );
    let effectiveOp = op;
    if (op === 'index' && meta.op_type === 'create') effectiveOp = 'create';
    const item: WriteItem = {
      op: effectiveOp,
      index: (meta._index as string | undefined) ?? defaultIndex ?? '',
      id: meta._id === undefined || meta._id === null ? undefined : String(meta._id as string),
      autoId: meta._id === undefined || meta._id === null,
      ...(meta.if_seq_no !== undefined ? { ifSeqNo: Number(meta.if_seq_no) } : {}),
      ...(meta.if_primary_term !== undefined ? { ifPrimaryTerm: Number(meta.if_primary_term) } : {}),
    };
    if (op !== 'delete') {
      i += 1;
      const src = lines[i];
      if (src === undefined)
        throw new EsError(
          400,
          'action_request_validation_exception',
          'Validation Failed: 1: no requests added;',
        );
      item.raw = src;
      if (parseSources || op === 'update') {
        try {
          const parsed = JSON.parse(src) as unknown;
          item.body =
            typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
              ? (parsed as Record<string, unknown>)
              : undefined;
          if (item.body === undefined) item.raw = undefined;
        } catch {
          item.body = undefined;
        }
      } else {
        // Bench mode: the source is not parsed; only the presence of @timestamp is seen.
        item.body = src.includes('"@timestamp"') ? { '@timestamp': true } : {};
      }
    }
    items.push(item);
  }
  return items;
}

/** BulkRequest#validate: every item's own validation, collected. */
export function validateBulk(items: WriteItem[]): EsError | undefined {
  const errors: string[] = [];
  if (items.length === 0) errors.push('no requests added');
  for (const it of items) {
    if (!it.index) errors.push('index is missing');
    if ((it.op === 'delete' || it.op === 'update') && it.id === undefined) errors.push('id is missing');
    if (it.id !== undefined && Buffer.byteLength(it.id) > 512)
      errors.push(
        `id [${it.id}] is too long, must be no longer than 512 bytes but was: ${Buffer.byteLength(it.id)}`,
      );
    if (it.id !== undefined && it.id.length === 0) errors.push('if _id is specified it must not be empty');
    if (it.ifSeqNo !== undefined && it.ifPrimaryTerm === undefined)
      errors.push('ifSeqNo is set, but primary term is [0]');
    if (it.ifSeqNo === undefined && it.ifPrimaryTerm !== undefined)
      errors.push(`ifSeqNo is unassigned, but primary term is [${it.ifPrimaryTerm}]`);
    if (it.op === 'create' && it.ifSeqNo !== undefined)
      errors.push('create operations do not support compare and set. use index instead');
    if (it.op === 'update' && it.ifSeqNo !== undefined && it.body?.upsert !== undefined)
      errors.push("upsert requests don't support `if_seq_no` and `if_primary_term`");
  }
  if (errors.length === 0) return undefined;
  return new EsError(
    400,
    'action_request_validation_exception',
    `Validation Failed: ${errors.map((e, i) => `${i + 1}: ${e};`).join('')}`,
  );
}

/** Run a parsed, validated bulk request. */
export function runBulk(
  ctx: WriteContext,
  items: WriteItem[],
  faults: EsFaultInjector,
  stats: BulkStats,
): Record<string, unknown> {
  const started = Date.now();
  // The bulk request is authorized as a composite request: some index privilege must grant the action.
  if (!ctx.security.anyIndexAllowed(ctx.principal, 'indices:data/write/bulk'))
    throw ctx.security.denied(ctx.principal, 'indices:data/write/bulk');
  const missing = new Set(items.map((i) => i.index).filter((n) => n && !ctx.cluster.lookup(n)));
  const refused = autoCreate(ctx, missing);
  const out: Record<string, unknown>[] = [];
  let errors = false;
  let n = 0;
  for (const item of items) {
    n += 1;
    const id =
      item.id ??
      createHash('sha1').update(`${Date.now()}:${n}:${Math.random()}`).digest('base64url').slice(0, 20);
    let r: { status: number; body: Record<string, unknown> };
    const injected = faults.item(id);
    const refusal = refused.get(item.index);
    if (refusal)
      r = { status: refusal.status, body: { _index: item.index, _id: id, error: refusal.toCause() } };
    else if (injected)
      r = {
        status: injected.status,
        body:
          injected.status === 0
            ? { _index: item.index, _id: id }
            : { _index: item.index, _id: id, error: { type: injected.type, reason: injected.reason } },
      };
    else if (item.body === undefined && item.op !== 'delete')
      r = {
        status: 400,
        body: {
          _index: item.index,
          _id: id,
          error: {
            type: ctx.cluster.opts.parsingType,
            reason: `[1:1] failed to parse: Unexpected character in document with id '${id}'`,
          },
        },
      };
    else r = executeItem(ctx, { ...item, id }, () => id);
    stats.bulkItems += 1;
    stats.itemsByStatus[r.status] = (stats.itemsByStatus[r.status] ?? 0) + 1;
    if (r.body.error !== undefined || r.status <= 0) errors = true;
    // The answer's key is the effective op type (`index` with op_type=create answers `create`).
    out.push({ [item.op]: r.status === NO_STATUS ? r.body : { ...r.body, status: r.status } });
  }
  return { errors, took: Date.now() - started, items: out };
}
