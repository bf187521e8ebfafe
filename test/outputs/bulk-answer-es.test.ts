// The all-created bulk answer (src/outputs/elasticsearch/bulk-answer.ts) as the test server writes it, over real
// HTTP with the real client: the text Elasticsearch answers when every create succeeded, filtered by casguard's
// filter_path, is recognised without a parse, and an answer with a refused item still goes through the parse
// and the item table.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import { raw, NDJSON8, JSON8 } from '../es-server/test-helpers.js';
import { allCreatedCount } from '../../src/outputs/elasticsearch/bulk-answer.js';
import { ElasticsearchOutputConfig } from '../../src/outputs/elasticsearch/elasticsearch.config.js';
import {
  BULK_FILTER_PATH,
  createEsClient,
  EsBulkTransport,
} from '../../src/outputs/elasticsearch/es-client.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';

const body = (ids: string[], doc = (i: number): unknown => ({ n: i })): string =>
  ids
    .map((id, i) => `{"create":{"_index":"cg-answers","_id":"${id}"}}\n${JSON.stringify(doc(i))}\n`)
    .join('');

/** A bulk request without the client, with casguard's filter_path: the answer's text exactly as sent. */
const rawBulk = (url: string, ids: string[]): ReturnType<typeof raw> =>
  raw(url, 'POST', `/_bulk?filter_path=${encodeURIComponent(BULK_FILTER_PATH)}`, body(ids), {
    'content-type': NDJSON8,
    accept: JSON8,
  });

describe('the all-created bulk answer against the test server', () => {
  it('is the filtered answer of a bulk request whose creates all succeed', async (t) => {
    const es = await startEsTestServer();
    t.after(() => es.stop());
    const ids = Array.from({ length: 40 }, (_, i) => `r${i}`);
    const a = await rawBulk(es.url, ids);
    assert.equal(a.status, 200);
    assert.equal(allCreatedCount(a.text), 40, a.text.slice(0, 200));
    // The same documents again: every item is a 409, errors is true, and the text is parsed.
    const again = await rawBulk(es.url, ids);
    assert.equal(allCreatedCount(again.text), undefined);
  });

  it('gives every item status 201 through the transport; a refused item still gets its own status and reason', async (t) => {
    const es = await startEsTestServer();
    t.after(() => es.stop());
    const { client, scrub } = createEsClient(
      ElasticsearchOutputConfig.parse({ hosts: [es.url] }),
      recordingLogger(),
    );
    t.after(() => client.close());
    const transport = new EsBulkTransport(client, scrub);
    const ids = Array.from({ length: 25 }, (_, i) => `t${i}`);
    const ok = await transport.send(Buffer.from(body(ids)), ids.length);
    assert.equal(ok.kind, 'items');
    if (ok.kind !== 'items') return;
    assert.deepEqual(
      ok.items.map((i) => i.status),
      ids.map(() => 201),
    );
    assert.ok(Object.isFrozen(ok.items), 'the answer took the all-created path (its shared results)');
    // A count that disagrees with the documents sent is a failed request, as for a parsed answer.
    const fresh = ids.map((id) => `${id}-b`);
    const short = await transport.send(Buffer.from(body(fresh)), fresh.length + 1);
    assert.equal(short.kind, 'failed');
    // One document the mapping refuses (a field that was a number, now an object) among good ones.
    const mixed = ['m0', 'm1', 'm2'];
    const res = await transport.send(
      Buffer.from(body(mixed, (i) => (i === 1 ? { n: { x: 1 } } : { n: i }))),
      mixed.length,
    );
    assert.equal(res.kind, 'items');
    if (res.kind !== 'items') return;
    assert.deepEqual(
      res.items.map((i) => i.status),
      [201, 400, 201],
    );
    assert.equal(res.items[1]!.errorType, 'document_parsing_exception');
    assert.ok(!Object.isFrozen(res.items), 'an answer with a refused item is parsed');
  });
});
