// The replay's known-ids check (src/outputs/elasticsearch/known-ids-filter.ts) against the Elasticsearch test
// server: it searches only streams that have rolled over (an id the write index holds is refused there as a 409
// anyway), and it never lets a reader run ahead of its checks. Before the second point, a 200,000-line replay
// held every document in the check chain (500 MiB peak RSS) and the searches of a stream that had never rolled
// over cost a third more CPU.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { KnownIdsFilter } from '../../src/outputs/elasticsearch/known-ids-filter.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import type { DocumentSink } from '../../src/pipeline/stages.types.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';
import type { Logger } from '../../src/telemetry/logger.types.js';
import { startEsTestServer } from '../es-server/es-test-server.js';
import { raw } from '../es-server/test-helpers.js';
import { settle, type OnSettled } from '../../src/pipeline/settle.js';

const STREAM = 'logs-exchange.activesync-default';

class RecordingSink implements DocumentSink {
  readonly ids: string[] = [];
  push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    this.ids.push(doc.id);
    settle(onSettled);
    return true;
  }
  async drain(): Promise<void> {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

function doc(id: string): ShippableDocument {
  return { id, stream: 'activesync', op: 'create', doc: { '@timestamp': '2013-09-19T14:00:05.000Z' } };
}

/** A client on the test server whose searches are counted (and optionally slowed down). */
function countingClient(url: string, delayMs = 0): { client: Client; searches: () => number } {
  const client = new Client({ node: url });
  let n = 0;
  const search = client.search.bind(client);
  (client as unknown as { search: unknown }).search = async (params: unknown) => {
    n += 1;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    return search(params as Parameters<typeof search>[0]);
  };
  return { client, searches: () => n };
}

function filter(client: Client, inner: DocumentSink, logger: Logger = recordingLogger()): KnownIdsFilter {
  return new KnownIdsFilter(inner, { client, targetFor: () => STREAM, logger, holdMs: 5 });
}

describe('replay known-ids check', () => {
  it('does not search a stream that does not exist or has one backing index', async () => {
    const es = await startEsTestServer({ version: '9.1.5' });
    try {
      const { client, searches } = countingClient(es.url);
      const inner = new RecordingSink();
      const f = filter(client, inner);
      for (let i = 0; i < 1200; i++) if (!f.push(doc(`a${i}`), () => undefined)) await f.drain();
      await f.flush();
      assert.equal(searches(), 0, 'no stream yet');
      assert.equal((await raw(es.url, 'PUT', `/_data_stream/${STREAM}`)).status, 200);
      const g = filter(client, inner);
      for (let i = 0; i < 700; i++) if (!g.push(doc(`b${i}`), () => undefined)) await g.drain();
      await g.close();
      assert.equal(searches(), 0, 'one backing index');
      assert.equal(inner.ids.length, 1900);
    } finally {
      await es.stop();
    }
  });

  it('searches a rolled-over stream and settles the ids an older backing index holds', async () => {
    const es = await startEsTestServer({ version: '9.1.5' });
    try {
      const body = `{"create":{"_index":"${STREAM}","_id":"old-1"}}\n{"@timestamp":"2013-09-19T14:00:05.000Z"}\n`;
      assert.equal(
        (await raw(es.url, 'POST', '/_bulk?refresh=true', body, { 'content-type': 'application/x-ndjson' }))
          .status,
        200,
      );
      assert.equal((await raw(es.url, 'POST', `/${STREAM}/_rollover`)).status, 200);
      const { client, searches } = countingClient(es.url);
      const inner = new RecordingSink();
      const log = recordingLogger();
      const f = filter(client, inner, log);
      let settled = 0;
      for (const id of ['old-1', 'new-1', 'new-2']) f.push(doc(id), () => (settled += 1));
      await f.flush();
      assert.deepEqual(
        log.lines.filter((l) => l.level !== 'debug'),
        [],
      );
      assert.ok(searches() >= 1, 'searches() >= 1');
      assert.equal(settled, 3);
      assert.equal(f.skipped, 1);
      assert.deepEqual(inner.ids, ['new-1', 'new-2']);
    } finally {
      await es.stop();
    }
  });

  it('notices a rollover during a long replay when it asks the stream again', async () => {
    const es = await startEsTestServer({ version: '9.1.5' });
    try {
      const body = `{"create":{"_index":"${STREAM}","_id":"old-1"}}\n{"@timestamp":"2013-09-19T14:00:05.000Z"}\n`;
      await raw(es.url, 'POST', '/_bulk?refresh=true', body, { 'content-type': 'application/x-ndjson' });
      const { client, searches } = countingClient(es.url);
      const inner = new RecordingSink();
      let now = 1_000_000;
      const f = new KnownIdsFilter(inner, {
        client,
        targetFor: () => STREAM,
        logger: recordingLogger(),
        holdMs: 5,
        now: () => now,
      });
      f.push(doc('n1'), () => undefined);
      await f.flush();
      assert.equal(searches(), 0);
      assert.equal((await raw(es.url, 'POST', `/${STREAM}/_rollover`)).status, 200);
      now += 29_000;
      f.push(doc('n2'), () => undefined); // still trusted: one backing index
      now += 2_000;
      f.push(doc('n3'), () => undefined); // stale: asked again in the background, passes meanwhile
      // The background request is one loopback round trip.
      await new Promise((r) => setTimeout(r, 1000));
      let skipped = false;
      f.push(doc('old-1'), () => (skipped = true));
      await f.flush();
      assert.ok(searches() >= 1, 'the rolled-over stream is searched');
      assert.equal(f.skipped, 1);
      assert.ok(skipped, 'skipped');
      assert.ok(!inner.ids.includes('old-1'), inner.ids.join(','));
      await f.close();
    } finally {
      await es.stop();
    }
  });

  it('passes documents of a stream known to have one backing index straight on while earlier ones are handed on', async () => {
    const es = await startEsTestServer({ version: '9.1.5' });
    try {
      assert.equal((await raw(es.url, 'PUT', `/_data_stream/${STREAM}`)).status, 200);
      const { client, searches } = countingClient(es.url);
      // An output that pushes back after every document: the check waits for it between documents.
      const inner = new (class extends RecordingSink {
        override push(d: ShippableDocument, onSettled: OnSettled): boolean {
          super.push(d, onSettled);
          return false;
        }
        override drain(): Promise<void> {
          return new Promise((r) => setTimeout(r, 1));
        }
      })();
      const f = filter(client, inner);
      // The stream's shape is not known yet: the first 500 are held and checked together.
      for (let i = 0; i < 500; i++) f.push(doc(`a${i}`), () => undefined);
      for (let waited = 0; inner.ids.length === 0 && waited < 5000; waited += 5)
        await new Promise((r) => setTimeout(r, 5));
      assert.ok(
        inner.ids.length > 0 && inner.ids.length < 500,
        `the check is handing on: ${inner.ids.length}`,
      );
      let settled = false;
      f.push(doc('late'), () => (settled = true));
      assert.ok(inner.ids.includes('late'), 'a document of the known stream was held behind the check');
      assert.ok(settled, 'and settled by the output at once');
      await f.close();
      assert.equal(inner.ids.length, 501);
      assert.equal(new Set(inner.ids).size, 501, 'each document handed on once');
      assert.equal(searches(), 0, 'a stream with one backing index is never searched');
    } finally {
      await es.stop();
    }
  });

  it('tells the reader to wait while two batches wait for their check', async () => {
    const es = await startEsTestServer({ version: '9.1.5' });
    try {
      const body = `{"create":{"_index":"${STREAM}","_id":"x"}}\n{"@timestamp":"2013-09-19T14:00:05.000Z"}\n`;
      await raw(es.url, 'POST', '/_bulk', body, { 'content-type': 'application/x-ndjson' });
      await raw(es.url, 'POST', `/${STREAM}/_rollover`);
      const { client } = countingClient(es.url, 200);
      const inner = new RecordingSink();
      const f = filter(client, inner);
      let firstFull = -1;
      for (let i = 0; i < 1500 && firstFull < 0; i++)
        if (!f.push(doc(`d${i}`), () => undefined)) firstFull = i;
      // 500 per batch: the 1,000th document fills the second batch while the first is still being checked.
      assert.equal(firstFull, 999);
      assert.equal(inner.ids.length, 0);
      await f.drain();
      assert.equal(inner.ids.length, 1000);
      await f.close();
    } finally {
      await es.stop();
    }
  });
});
