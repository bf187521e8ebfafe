// The Elasticsearch output against the test server with faults: every document ends exactly once in the
// server or in the dead-letter file with its reason, every push is settled exactly once, memory stays bounded.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import type { EsTestServer } from '../es-server/es-test-server.js';
import { metricsRegistry, resetMetrics } from '../../src/telemetry/metrics.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';
import { targetName } from '../../src/outputs/elasticsearch/targets.js';
import { makeDoc, openSink, pushAll, range, readLetters } from './helpers.js';

function storedIds(es: EsTestServer): Map<string, number> {
  const seen = new Map<string, number>();
  for (const s of ['activesync', 'application', 'alerts'] as const) {
    for (const id of es.docs(targetName(s, 'default')).keys()) seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  return seen;
}

describe('Elasticsearch output under faults', () => {
  it('with 10% items 429, 2% items 400, 1 in 20 requests 503 and resets: every document ends exactly once in the server or the dead-letter file', async () => {
    resetMetrics();
    const es = await startEsTestServer({
      seed: 42,
      faults: {
        item429Rate: 0.1,
        item400Rate: 0.02,
        request503Every: 20,
        // ~200 requests: the chance that no reset of either kind happens is below 0.3%
        resetBeforeRate: 0.03,
        resetAfterRate: 0.03,
      },
    });
    const N = 20_000;
    const { sink, deadLetterDir } = openSink(es.url, { maxBatchDocs: 100 });
    try {
      const settled = new Map<string, number>();
      await pushAll(sink, range(0, N), settled);
      await sink.flush();
      await sink.idle();
      await sink.close();

      const stored = storedIds(es);
      const letters = await readLetters(deadLetterDir);
      const dead = new Map<string, number>();
      for (const l of letters) {
        assert.equal(l.stage, 'output');
        assert.equal(l.code, 'es.document_parsing_exception');
        assert.equal(l.status, 400);
        assert.match(l.reason, /injected fault/);
        assert.ok(l.document && l.target, 'l.document && l.target');
        assert.equal(l.target, targetName(l.document.stream, 'default'));
        dead.set(l.document.id, (dead.get(l.document.id) ?? 0) + 1);
      }
      // exactly once somewhere, never in both
      for (let i = 0; i < N; i++) {
        const id = `d${i}`;
        const where = (stored.get(id) ?? 0) + (dead.get(id) ?? 0);
        assert.equal(where, 1, `${id}: stored ${stored.get(id) ?? 0}, dead-lettered ${dead.get(id) ?? 0}`);
        assert.equal(settled.get(id), 1, `${id} settled ${settled.get(id) ?? 0} times`);
      }
      assert.equal(stored.size + dead.size, N);
      // the faults really happened
      assert.ok(dead.size > N * 0.01 && dead.size < N * 0.03, `dead-lettered ${dead.size}`);
      assert.ok(
        (es.stats.itemsByStatus[429] ?? 0) > N * 0.05,
        '(es.stats.itemsByStatus[429] ?? 0) > N * 0.05',
      );
      assert.ok((es.stats.requestErrors[503] ?? 0) > 0, '(es.stats.requestErrors[503] ?? 0) > 0');
      assert.ok(es.stats.resets > 0, 'es.stats.resets > 0');
      // a reset after the server applied a request makes the re-send answer 409: counted as delivered
      assert.ok(sink.counts.duplicates > 0, 'some 409s from re-sends after a lost answer');
      // the sink's own counts agree with what the server holds
      assert.equal(sink.counts.delivered, stored.size);
      // (flush() during a failing request spools what is left, so some settle through the spool)
      assert.equal(sink.counts.deadLettered + sink.counts.fromSpoolDeadLettered, dead.size);
      assert.ok(es.stats.maxConcurrentBulk <= 2, `in flight ${es.stats.maxConcurrentBulk}`);

      const text = await metricsRegistry().metrics();
      for (const name of [
        'casguard_es_documents_sent_total',
        'casguard_es_documents_delivered_total',
        'casguard_es_documents_retried_total',
        'casguard_es_documents_dead_lettered_total',
        'casguard_es_bulk_request_duration_seconds_bucket',
        'casguard_es_bulk_bytes_total',
      ]) {
        assert.match(text, new RegExp(`^${name}\\{`, 'm'), name);
      }
      assert.match(
        text,
        new RegExp(
          `casguard_es_documents_dead_lettered_total\\{output="elasticsearch",code="es.document_parsing_exception"\\} ${dead.size}`,
        ),
      );
    } finally {
      await es.stop();
    }
  });

  it('rides out a cluster outage: spools beyond the memory budget, then delivers everything once', async () => {
    const es = await startEsTestServer({ seed: 3 });
    const lines: ReturnType<typeof recordingLogger>['lines'] = [];
    const maxBufferBytes = 200 * 1024;
    const { sink } = openSink(
      es.url,
      {
        maxBufferBytes,
        maxBatchDocs: 100,
        requestTimeoutMs: 1000,
        retry: { initialDelayMs: 20, maxDelayMs: 300 },
      },
      { logger: recordingLogger(lines) },
    );
    try {
      const N = 12_000;
      const settled = new Map<string, number>();
      let maxMem = 0;
      let downAt = -1;
      await pushAll(sink, range(0, N), settled, async (n) => {
        maxMem = Math.max(maxMem, sink.state.memBytes);
        if (n === 3000) {
          await es.down();
          downAt = Date.now();
          setTimeout(() => void es.up(), 2500);
        }
        if (n % 500 === 0) await new Promise((r) => setImmediate(r));
      });
      await sink.flush();
      await sink.idle();
      assert.ok(downAt > 0, 'downAt > 0');
      assert.ok(sink.counts.spooled > 0, 'batches went to the spool during the outage');
      assert.ok(maxMem <= maxBufferBytes + 64 * 1024, `memory ${maxMem} within budget ${maxBufferBytes}`);
      const stored = storedIds(es);
      for (let i = 0; i < N; i++) {
        assert.equal(stored.get(`d${i}`), 1, `d${i}`);
        assert.equal(settled.get(`d${i}`), 1);
      }
      assert.equal(es.totalDocs(), N);
      assert.equal(sink.state.spoolBytes, 0);
      const msgs = lines.map((l) => l.message);
      for (const start of [
        'Elasticsearch is not accepting bulk requests',
        'Elasticsearch outage outlasted the memory buffer',
        'Elasticsearch is accepting bulk requests again',
        'The disk spool is empty again',
      ])
        assert.ok(
          msgs.some((m) => m.startsWith(start)),
          `a log line starting "${start}"`,
        );
      // no log line per document
      assert.ok(lines.length < 50, `${lines.length} log lines`);
    } finally {
      await sink.close();
      await es.stop();
    }
  });

  it('keeps spooled batches across a restart and drains them when the cluster is back', async () => {
    const es = await startEsTestServer({ seed: 5 });
    await es.down();
    const first = openSink(es.url, { requestTimeoutMs: 500, retry: { initialDelayMs: 10, maxDelayMs: 50 } });
    const settled = new Map<string, number>();
    await pushAll(first.sink, range(0, 1000), settled);
    await first.sink.flush(); // during an outage flush spools everything and settles it
    assert.equal(settled.size, 1000);
    assert.equal(first.sink.counts.spooled, 1000);
    await first.sink.close();

    await es.up();
    const second = openSink(es.url, {}, { dataDir: first.dataDir });
    try {
      await second.sink.idle();
      assert.equal(es.totalDocs(), 1000);
      assert.equal(second.sink.counts.fromSpoolDelivered, 1000);
      assert.equal(second.sink.state.spoolBytes, 0);
    } finally {
      await second.sink.close();
      await es.stop();
    }
  });

  it('splits a batch the server refuses as too large (413) and dead-letters a single document that is', async () => {
    const es = await startEsTestServer({ maxContentLength: 20_000 });
    const { sink, deadLetterDir } = openSink(es.url, { maxBatchDocs: 200, compression: false });
    try {
      const settled = new Map<string, number>();
      await pushAll(sink, range(0, 300), settled);
      const big = makeDoc(1000);
      big.doc.message = 'y'.repeat(30_000);
      sink.push(big, () => settled.set(big.id, 1));
      await sink.flush();
      await sink.idle();
      assert.equal(es.totalDocs(), 300);
      const letters = await readLetters(deadLetterDir);
      assert.equal(letters.length, 1);
      assert.equal(letters[0]!.status, 413);
      assert.equal(letters[0]!.code, 'es.request_too_large');
      assert.equal(letters[0]!.document?.id, 'd1000');
      assert.ok((es.stats.requestErrors[413] ?? 0) > 0, '(es.stats.requestErrors[413] ?? 0) > 0');
      assert.equal(settled.size, 301);
    } finally {
      await sink.close();
      await es.stop();
    }
  });

  it('never puts credentials in log lines or dead letters', async () => {
    const apiKey = Buffer.from('key-id:very-secret-api-key').toString('base64');
    const es = await startEsTestServer({
      auth: { apiKey: 'c29tZXRoaW5nOmVsc2U=' },
      faults: { item400Rate: 0.5 },
    });
    const lines: ReturnType<typeof recordingLogger>['lines'] = [];
    const { sink, deadLetterDir } = openSink(
      es.url,
      { apiKey, requestTimeoutMs: 300, retry: { initialDelayMs: 5, maxDelayMs: 20 } },
      { logger: recordingLogger(lines) },
    );
    const basic = openSink(
      'http://127.0.0.1:9',
      {
        username: 'elastic',
        password: 'hunter2-password',
        requestTimeoutMs: 300,
        retry: { initialDelayMs: 5, maxDelayMs: 20 },
      },
      { logger: recordingLogger(lines) },
    );
    try {
      const settled = new Map<string, number>();
      await pushAll(sink, range(0, 20), settled);
      await pushAll(basic.sink, range(0, 20), settled);
      await new Promise((r) => setTimeout(r, 300));
      await sink.flush();
      await basic.sink.flush();
      const text = JSON.stringify(lines) + JSON.stringify(await readLetters(deadLetterDir));
      assert.ok(
        lines.some((l) => l.level === 'error' && /operator/.test(l.message)),
        'the 401 is reported',
      );
      assert.ok(
        lines.some((l) => /HTTP 401/.test(JSON.stringify(l.meta))),
        'lines.some((l) => /HTTP 401/.test(JSON.stringify(l.meta)))',
      );
      for (const secret of [
        apiKey,
        'very-secret-api-key',
        'hunter2-password',
        Buffer.from('elastic:hunter2-password').toString('base64'),
      ]) {
        assert.ok(!text.includes(secret), `secret ${secret} leaked`);
      }
    } finally {
      await sink.close();
      await basic.sink.close();
      await es.stop();
    }
  });
});
