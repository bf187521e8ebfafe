// The usual bulk answer, recognised without parsing it (issue 16: cheaper responses).
//
// casguard asks for bulk answers with `filter_path` (BULK_FILTER_PATH: `errors` and each item's status, error and
// failure store). Elasticsearch writes a bulk answer as `took`, `ingest_took` (with a pipeline), `errors`, `items`
// (BulkResponse.toXContent), each item as `{"<op>":{..., "status":N}}` with `error` and `failure_store` only when
// they apply, compactly (no spaces). So when every `create` of a request succeeded, the filtered answer is
// exactly `{"errors":false,"items":[{"create":{"status":201}},...]}`, one item per document, and that text says
// everything the item table needs. Parsing it (about 0.2 µs per document, a 5,000-item answer being 10,000
// objects) was done for every batch; comparing it with the text of N such items is a memory compare.
//
// Anything else (an error or failure-store item, another status or op, a space, another key order, a proxy's
// rewrite) is parsed as before, so this only ever answers for texts it knows exactly.

import { Serializer } from '@elastic/elasticsearch';

const PREFIX = '{"errors":false,"items":[';
const ITEM = '{"create":{"status":201}}';
const SUFFIX = ']}';

/** The parse of an answer in which all `count` items are `create` with status 201 and nothing else. */
export class AllCreated {
  constructor(readonly count: number) {}
}

/** The text of the last count asked for (batches are usually full, so usually the same count). */
let expected = '';
let expectedCount = 0;

/** N when `json` is exactly the filtered answer of N successful creates (N ≥ 1), else undefined. */
export function allCreatedCount(json: string): number | undefined {
  if (!json.startsWith(PREFIX)) return undefined;
  // N items and N - 1 commas between them.
  const itemsAndCommas = json.length - PREFIX.length - SUFFIX.length + 1;
  if (itemsAndCommas <= 0 || itemsAndCommas % (ITEM.length + 1) !== 0) return undefined;
  const n = itemsAndCommas / (ITEM.length + 1);
  if (n !== expectedCount) {
    expected = `${PREFIX}${`${ITEM},`.repeat(n - 1)}${ITEM}${SUFFIX}`;
    expectedCount = n;
  }
  return json === expected ? n : undefined;
}

/**
 * The client's serializer with the all-created answer recognised: it deserializes to an AllCreated instead of
 * an object per item. Every other text goes to the client's own parser (its errors and options unchanged).
 */
export class BulkAnswerSerializer extends Serializer {
  override deserialize<T = unknown>(json: string): T {
    const n = allCreatedCount(json);
    if (n !== undefined) return new AllCreated(n) as T;
    return super.deserialize<T>(json);
  }
}
