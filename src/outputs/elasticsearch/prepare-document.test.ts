// `event.ingested` and the namespace are set on the copy the Elasticsearch output serializes, at hand-over time,
// and never on the document other outputs share.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { EcsDocument, ShippableDocument } from '../../pipeline/document.types.js';
import type { DeadLetterSink } from '../../pipeline/stages.types.js';
import { nullLogger } from '../../telemetry/logger.types.js';
import type { BulkTransport } from '../delivery/bulk-transport.types.js';
import { ElasticsearchOutputConfig } from './elasticsearch.config.js';
import { createElasticsearchOutput } from './elasticsearch-output.js';
import { isoClock, prepareForElasticsearch } from './prepare-document.js';

function doc(): EcsDocument {
  return {
    '@timestamp': '2013-09-19T14:00:05.000Z',
    event: { kind: 'event', dataset: 'exchange.activesync' },
    data_stream: { type: 'logs', dataset: 'exchange.activesync', namespace: 'default' },
  };
}

describe('prepareForElasticsearch', () => {
  it('adds event.ingested and the namespace to a copy, leaving the shared document alone', () => {
    const d = doc();
    const before = JSON.stringify(d);
    const out = prepareForElasticsearch(d, 'activesync', 'prod', '2026-01-02T03:04:05.678Z');
    assert.deepEqual(out.event, {
      kind: 'event',
      dataset: 'exchange.activesync',
      ingested: '2026-01-02T03:04:05.678Z',
    });
    assert.equal((out.data_stream as { namespace: string }).namespace, 'prod');
    assert.equal(JSON.stringify(d), before);
  });

  it('creates event when a document has none', () => {
    const out = prepareForElasticsearch({ '@timestamp': 'x' }, 'alerts', 'default', 'T');
    assert.deepEqual(out.event, { ingested: 'T' });
  });

  it('formats the clock once per millisecond', () => {
    let t = 1_000;
    const clock = isoClock(() => t);
    const a = clock();
    assert.equal(a, '1970-01-01T00:00:01.000Z');
    assert.equal(clock(), a);
    t = 1_001;
    assert.equal(clock(), '1970-01-01T00:00:01.001Z');
  });
});

describe('the Elasticsearch output', () => {
  it('sends event.ingested = the time of hand-over, from the injected clock', async () => {
    const bodies: string[] = [];
    const transport: BulkTransport = {
      send: (body, docs) => {
        bodies.push(body.toString('utf8'));
        return Promise.resolve({
          kind: 'items',
          items: Array.from({ length: docs }, () => ({ status: 201 })),
        });
      },
      close: () => Promise.resolve(),
    };
    const deadLetters: DeadLetterSink = {
      write: () => assert.fail('nothing is dead-lettered'),
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cg-ingested-'));
    let now = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const sink = createElasticsearchOutput(
      ElasticsearchOutputConfig.parse({ hosts: ['http://127.0.0.1:9'], flushIntervalMs: 10 }),
      { dataDir, deadLetters, logger: nullLogger, transport, now: () => now },
    );
    try {
      const shared: ShippableDocument = { id: 'a', stream: 'activesync', op: 'create', doc: doc() };
      sink.push(shared, () => undefined);
      now += 60_000;
      sink.push({ id: 'b', stream: 'activesync', op: 'create', doc: doc() }, () => undefined);
      await sink.flush();
      const sources = bodies
        .join('')
        .trim()
        .split('\n')
        .filter((_, i) => i % 2 === 1)
        .map((l) => JSON.parse(l) as { event: { ingested: string } });
      assert.deepEqual(
        sources.map((s) => s.event.ingested),
        ['2026-01-02T03:04:05.678Z', '2026-01-02T03:05:05.678Z'],
      );
      assert.equal((shared.doc.event as Record<string, unknown>).ingested, undefined);
    } finally {
      await sink.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
