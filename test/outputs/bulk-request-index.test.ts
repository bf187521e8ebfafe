// The request's index (issue 16): a batch's first document decides its request's URL, `POST /<index>/_bulk`, and
// the action lines of documents going there leave `_index` out (Elasticsearch's default index); documents of
// other streams in the same batch keep theirs. Checked against the Elasticsearch test server, which reads a bulk
// request as BulkRequestParser does (an action line's own `_index`, else the URL's): every document must end in
// its own stream, through item failures and retries, request splits and the disk spool (whose segments are read
// back by their action lines, so they always name the index).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { bulkItems } from '../es-server/bulk.js';
import { startEsTestServer } from '../es-server/es-test-server.js';
import type { EsTestServer } from '../es-server/es-test-server.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import { spoolDir } from '../../src/outputs/elasticsearch/elasticsearch-output.js';
import { targetName } from '../../src/outputs/elasticsearch/targets.js';
import { makeDoc, openSink, pushAll, range, readLetters } from './helpers.js';

const ACTIVESYNC = targetName('activesync', 'default');
const APPLICATION = targetName('application', 'default');
const ALERTS = targetName('alerts', 'default');

/** Documents of the activesync stream only (a replay of IIS logs). */
function* activesyncOnly(n: number): Generator<ShippableDocument> {
  for (let i = 0; i < n; i++) {
    const d = makeDoc(i * 2);
    assert.equal(d.stream, 'activesync');
    yield d;
  }
}

/** Where each stored id is, across the three targets. */
function whereStored(es: EsTestServer): Map<string, string[]> {
  const at = new Map<string, string[]>();
  for (const t of [ACTIVESYNC, APPLICATION, ALERTS])
    for (const id of es.docs(t).keys()) at.set(id, [...(at.get(id) ?? []), t]);
  return at;
}

describe('the bulk request names its index in the URL', () => {
  it('a batch of one stream is sent to POST /<stream>/_bulk with no _index in any action line', async () => {
    const es = await startEsTestServer({ keepBulkBodies: true });
    const { sink } = openSink(es.url, { maxBatchDocs: 100, compression: false });
    try {
      const settled = new Map<string, number>();
      await pushAll(sink, activesyncOnly(450), settled);
      await sink.flush();
      assert.equal(es.bulkRequests.length, 5);
      for (const r of es.bulkRequests) {
        assert.equal(r.index, ACTIVESYNC);
        assert.doesNotMatch(r.body.toString('utf8'), /"_index"/);
      }
      const first = es.bulkRequests[0]!.body.toString('utf8').split('\n')[0];
      assert.equal(first, '{"create":{"_id":"d0"}}');
      const at = whereStored(es);
      assert.equal(at.size, 450);
      for (const [id, targets] of at) assert.deepEqual(targets, [ACTIVESYNC], id);
      assert.equal(settled.size, 450);
    } finally {
      await sink.close();
      await es.stop();
    }
  });

  it('a mixed batch names the first document stream in the URL and keeps _index on the lines of the others', async () => {
    const es = await startEsTestServer({ keepBulkBodies: true });
    const { sink } = openSink(es.url, { maxBatchDocs: 40, compression: false });
    try {
      const settled = new Map<string, number>();
      // d0 activesync, d1 application, ..., d9 an alert; the second batch starts with d40 (activesync).
      const docs = [...range(0, 80)];
      await pushAll(sink, docs, settled);
      await sink.flush();
      assert.equal(es.bulkRequests.length, 2);
      const items = bulkItems(es.bulkRequests);
      const byId = new Map(docs.map((d) => [d.id, d]));
      for (const it of items) {
        const d = byId.get(it.id)!;
        const target = targetName(d.stream, 'default');
        assert.equal(it.index, target, `${it.id} is read as going to its own stream`);
        // Only the documents of the URL's stream leave it out.
        assert.equal(it.named, target !== ACTIVESYNC, it.action);
        assert.equal(it.op, d.op);
      }
      for (const r of es.bulkRequests) assert.equal(r.index, ACTIVESYNC);
      const at = whereStored(es);
      assert.equal(at.size, 80);
      for (const d of docs) assert.deepEqual(at.get(d.id), [targetName(d.stream, 'default')], d.id);
    } finally {
      await sink.close();
      await es.stop();
    }
  });

  it('a batch that starts with an alert is sent to the alerts index, the events naming their streams', async () => {
    const es = await startEsTestServer({ keepBulkBodies: true });
    const { sink } = openSink(es.url, { maxBatchDocs: 1000, compression: false });
    try {
      const docs = [makeDoc(9), ...range(10, 30)];
      await pushAll(sink, docs, new Map());
      await sink.flush();
      assert.equal(es.bulkRequests.length, 1);
      assert.equal(es.bulkRequests[0]!.index, ALERTS);
      for (const it of bulkItems(es.bulkRequests)) assert.equal(it.named, it.index !== ALERTS, it.action);
      const at = whereStored(es);
      for (const d of docs) assert.deepEqual(at.get(d.id), [targetName(d.stream, 'default')], d.id);
    } finally {
      await sink.close();
      await es.stop();
    }
  });

  for (const mixed of [false, true]) {
    it(`${mixed ? 'mixed' : 'single-stream'} batches with 20% items 429, 5% items 400, 503s and resets: each document ends once, in its own stream or a dead letter naming it`, async () => {
      const es = await startEsTestServer({
        seed: mixed ? 7 : 8,
        keepBulkBodies: true,
        faults: { item429Rate: 0.2, item400Rate: 0.05, request503Every: 9, resetAfterRate: 0.05 },
      });
      const N = 3000;
      const docs = mixed ? [...range(0, N)] : [...activesyncOnly(N)];
      // 151 per batch: mixed batches start with activesync and application documents in turn.
      const { sink, deadLetterDir } = openSink(es.url, {
        maxBatchDocs: mixed ? 151 : 150,
        compression: false,
      });
      const settled = new Map<string, number>();
      try {
        await pushAll(sink, docs, settled);
        await sink.flush();
        // flush() during failing requests may spool what is left: idle() waits for that too.
        await sink.idle();
      } finally {
        await sink.close();
        await es.stop();
      }
      const letters = await readLetters(deadLetterDir);
      const dead = new Map(letters.map((l) => [l.document!.id, l]));
      const at = whereStored(es);
      for (const d of docs) {
        const target = targetName(d.stream, 'default');
        const letter = dead.get(d.id);
        if (letter) {
          assert.equal(letter.target, target, `${d.id}: the dead letter names its stream`);
          assert.equal(letter.document!.stream, d.stream);
          assert.equal(at.get(d.id), undefined, `${d.id} dead-lettered and stored`);
        } else assert.deepEqual(at.get(d.id), [target], `${d.id} stored once in its stream`);
        assert.equal(settled.get(d.id), 1, d.id);
      }
      assert.ok(letters.length > 0, 'some items were refused (400)');
      // Retries: some ids were sent more than once, each time read as going to the same stream.
      const items = bulkItems(es.bulkRequests);
      const sends = new Map<string, string[]>();
      for (const it of items) sends.set(it.id, [...(sends.get(it.id) ?? []), it.index]);
      const retried = [...sends.values()].filter((x) => x.length > 1);
      assert.ok(retried.length > 100, `${retried.length} documents were sent again`);
      for (const x of retried) assert.equal(new Set(x).size, 1, 'a retried document goes to the same index');
      // A request without an index in its URL (from the spool) names it on every line.
      for (const r of es.bulkRequests.filter((q) => q.index === undefined))
        for (const it of bulkItems([r])) assert.ok(it.named, it.action);
      const urls = new Set(es.bulkRequests.map((r) => r.index).filter((i) => i !== undefined));
      if (!mixed) assert.deepEqual([...urls], [ACTIVESYNC]);
      else assert.ok(urls.size >= 2, 'batches started with documents of different streams');
    });
  }

  it('spooled documents name their index in every action line and are delivered to their own streams', async () => {
    const es = await startEsTestServer({ seed: 3, keepBulkBodies: true });
    await es.down();
    const first = openSink(es.url, {
      maxBatchDocs: 100,
      compression: false,
      requestTimeoutMs: 500,
      retry: { initialDelayMs: 10, maxDelayMs: 50 },
    });
    const docs = [...range(0, 400)];
    const settled = new Map<string, number>();
    await pushAll(first.sink, docs, settled);
    await first.sink.flush(); // during an outage flush spools everything
    assert.equal(first.sink.counts.spooled, 400);
    await first.sink.close();
    const dir = spoolDir(first.dataDir);
    const segments = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
    assert.ok(segments.length > 0, 'segments.length > 0');
    let actions = 0;
    for (const f of segments) {
      const lines = readFileSync(path.join(dir, f), 'utf8').split('\n');
      for (let i = 0; i + 1 < lines.length; i += 2) {
        actions += 1;
        assert.match(lines[i]!, /^\{"(create|index)":\{"_index":"[^"]+","_id":"[^"]+"\}\}$/);
      }
    }
    assert.equal(actions, 400);

    await es.up();
    const second = openSink(es.url, {}, { dataDir: first.dataDir });
    try {
      await second.sink.idle();
      assert.equal(second.sink.counts.fromSpoolDelivered, 400);
      const at = whereStored(es);
      for (const d of docs) assert.deepEqual(at.get(d.id), [targetName(d.stream, 'default')], d.id);
    } finally {
      await second.sink.close();
      await es.stop();
    }
  });
});
