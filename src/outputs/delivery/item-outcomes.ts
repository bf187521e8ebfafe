// Turns a bulk answer into what happens to each entry, through the one table in `bulk-classify.ts`:
// delivered → settled; retry → a retry batch after backoff; dead-letter → a letter with the reason and, when the
// source can be read back, the document itself (so `replay --dead-letters` can re-send it).

import type { DeadLetter } from '../../pipeline/dead-letter.types.js';
import type { DocumentStream, EcsDocument, ShippableDocument } from '../../pipeline/document.types.js';
import { redactText } from '../../pipeline/redact.js';
import { classifyItem, isKnownItemStatus, itemNeedsOperator } from '../elasticsearch/bulk-classify.js';
import type { Entry } from './batch.js';
import { entryId, entryText } from './batch.js';
import type { BulkItemResult } from './bulk-transport.types.js';

export interface ItemOutcomes {
  readonly settleNow: Entry[];
  readonly retry: Entry[];
  readonly dead: { entry: Entry; letter: DeadLetter }[];
  /** Dead letters by code: how many, one target and one reason for the log line. */
  readonly deadByCode: Map<string, { count: number; target: string; reason: string }>;
  /** Retried items by reason (the status as text), for the metric. */
  readonly retryReasons: string[];
  /** Retried items only an operator can help (401, 403, 404 index_not_found): how many, the last one's answer. */
  needOperator?: { count: number; target: string; status: number; errorType: string; reason: string };
  /** The entries counted in `needOperator`. */
  readonly needOperatorEntries: Entry[];
  delivered: number;
  duplicates: number;
  failureStoreUsed: number;
}

export interface LetterContext {
  readonly now: () => number;
  readonly streamByTarget: ReadonlyMap<string, DocumentStream>;
}

/** Sort every item of an answer (one per entry, in request order). Bumps `attempts` of retried entries. */
export function sortItems(
  entries: readonly Entry[],
  items: readonly BulkItemResult[],
  ctx: LetterContext,
): ItemOutcomes {
  const out: ItemOutcomes = {
    settleNow: [],
    retry: [],
    dead: [],
    deadByCode: new Map(),
    retryReasons: [],
    needOperatorEntries: [],
    delivered: 0,
    duplicates: 0,
    failureStoreUsed: 0,
  };
  for (let i = 0; i < items.length; i++) {
    const entry = entries[i]!;
    const item = items[i]!;
    const verdict = classifyItem(entry.op, item.status, item.failureStore, item.errorType);
    if (item.failureStore === 'used') out.failureStoreUsed += 1;
    if (verdict === 'delivered' || verdict === 'duplicate') {
      if (verdict === 'duplicate') out.duplicates += 1;
      out.delivered += 1;
      out.settleNow.push(entry);
    } else if (verdict === 'retry') {
      entry.attempts += 1;
      out.retry.push(entry);
      // An item without a (known) status has an unknown outcome: counted apart from refusals.
      out.retryReasons.push(isKnownItemStatus(item.status) ? String(item.status) : 'unknown');
      if (itemNeedsOperator(item.status, item.errorType)) {
        out.needOperatorEntries.push(entry);
        out.needOperator = {
          count: (out.needOperator?.count ?? 0) + 1,
          target: entry.target,
          status: item.status,
          errorType: item.errorType ?? `http_${item.status}`,
          reason: redactText(item.reason ?? item.errorType ?? `status ${item.status}`),
        };
      }
    } else {
      const letter = letterFor(
        entry,
        item.failureStore === 'used' ? failureStoreItem(entry, item) : item,
        ctx,
      );
      out.dead.push({ entry, letter });
      const agg = out.deadByCode.get(letter.code);
      if (agg) agg.count += 1;
      else out.deadByCode.set(letter.code, { count: 1, target: entry.target, reason: letter.reason });
    }
  }
  return out;
}

/**
 * A 2xx item that went to the failure store, as a refusal: Elasticsearch's answer carries no error then (the
 * failure document in the stream's `.fs-` index holds it), so the reason says where to look.
 */
function failureStoreItem(
  entry: Entry,
  item: BulkItemResult,
): { status: number; errorType: string; reason: string } {
  return {
    status: item.status,
    errorType: 'failure_store_used',
    reason:
      `Elasticsearch refused the document and kept it in the failure store of ${entry.target} ` +
      `(GET ${entry.target}::failures/_search shows why; a stream casguard set up has no failure store: ` +
      'run casguard setup), then casguard replay --dead-letters',
  };
}

/** The dead letter of an entry refused with `item`. */
export function letterFor(
  entry: Entry,
  item: { status: number; errorType?: string; reason?: string },
  ctx: LetterContext,
): DeadLetter {
  const code = `es.${item.errorType ?? `http_${item.status}`}`;
  const reason = redactText(item.reason ?? item.errorType ?? `status ${item.status}`);
  let document: ShippableDocument | undefined;
  try {
    const lines = entryText(entry);
    const src = lines.slice(lines.indexOf('\n') + 1, -1);
    const id = entryId(entry);
    if (id === undefined) throw new Error('no _id in the action line');
    document = {
      id,
      op: entry.op,
      stream: ctx.streamByTarget.get(entry.target) ?? guessStream(entry.target),
      doc: JSON.parse(src) as EcsDocument,
    };
  } catch {
    document = undefined;
  }
  return {
    time: new Date(ctx.now()).toISOString(),
    stage: 'output',
    reason,
    code,
    ...(document ? { document } : { record: redactText(entryText(entry).slice(0, 64 * 1024)) }),
    target: entry.target,
    status: item.status,
  };
}

function guessStream(target: string): DocumentStream {
  if (target.includes('alerts')) return 'alerts';
  if (target.includes('application')) return 'application';
  return 'activesync';
}
