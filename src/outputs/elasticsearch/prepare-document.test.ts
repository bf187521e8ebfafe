// `event.ingested` is in what the Elasticsearch output serializes, at hand-over time, the stream's constant fields
// are not, and the document other outputs share is left as it was.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { EcsDocument, ShippableDocument } from '../../pipeline/document.types.js';
import type { DeadLetterSink } from '../../pipeline/stages.types.js';
import { nullLogger } from '../../telemetry/logger.types.js';
import type { BulkTransport } from '../delivery/bulk-transport.types.js';
import { ElasticsearchOutputConfig } from './elasticsearch.config.js';
import { createElasticsearchOutput } from './elasticsearch-output.js';
import { enterWireShape, isoClock, leaveWireShape } from './prepare-document.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';

/** Runs `fn` with `doc` in its wire shape, then leaves it (what the output and the replay worker do in two calls). */
function withWireShape<T>(
  doc: EcsDocument,
  stream: 'activesync' | 'application' | 'alerts',
  ingested: string,
  sendConstants: boolean,
  fn: () => T,
): T {
  const mark = enterWireShape(doc, stream, ingested, sendConstants);
  try {
    return fn();
  } finally {
    leaveWireShape(mark);
  }
}

/** Only `event.ingested` changes: the alerts' shape, or any stream's with the constants sent. */
function withIngested<T>(doc: EcsDocument, ingested: string, fn: () => T): T {
  return withWireShape(doc, 'alerts', ingested, true, fn);
}

function doc(): EcsDocument {
  return {
    '@timestamp': '2013-09-19T14:00:05.000Z',
    event: { kind: 'event', dataset: 'exchange.activesync' },
    data_stream: { type: 'logs', dataset: 'exchange.activesync', namespace: 'default' },
  };
}

describe('withIngested', () => {
  it('sets event.ingested while fn runs and leaves the shared document as it was', () => {
    const d = doc();
    const before = JSON.stringify(d);
    const seen = withIngested(d, '2026-01-02T03:04:05.678Z', () => JSON.parse(JSON.stringify(d)));
    assert.deepEqual(seen.event, {
      kind: 'event',
      dataset: 'exchange.activesync',
      ingested: '2026-01-02T03:04:05.678Z',
    });
    assert.equal(JSON.stringify(d), before);
    // Shaped again (an alert pushed once more): set again, still the last key of `event`.
    const again = withIngested(d, '2026-01-02T03:04:06.000Z', () => JSON.stringify(d.event));
    assert.equal(
      again,
      '{"kind":"event","dataset":"exchange.activesync","ingested":"2026-01-02T03:04:06.000Z"}',
    );
    assert.equal(JSON.stringify(d), before);
  });

  it('restores an earlier value and a missing event, also when fn throws', () => {
    const d: EcsDocument = { '@timestamp': 'x', event: { ingested: 'earlier' } };
    withIngested(d, 'now', () => assert.equal((d.event as Record<string, unknown>).ingested, 'now'));
    assert.deepEqual(d.event, { ingested: 'earlier' });
    const bare: EcsDocument = { '@timestamp': 'x' };
    assert.throws(() =>
      withIngested(bare, 'now', () => {
        assert.deepEqual(bare.event, { ingested: 'now' });
        throw new Error('boom');
      }),
    );
    assert.deepEqual(bare, { '@timestamp': 'x' });
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

function iisLike(): EcsDocument {
  return {
    '@timestamp': '2014-03-10T00:00:00.000Z',
    event: {
      kind: 'event',
      module: 'exchange',
      dataset: 'exchange.activesync',
      category: ['web'],
      type: ['access'],
      action: 'Ping',
    },
    data_stream: { type: 'logs', dataset: 'exchange.activesync', namespace: 'default' },
    ecs: { version: '9.4.0' },
    agent: { type: 'casguard', version: '0.1.0', id: 'a1', name: 'vm' },
  };
}

describe('withWireShape', () => {
  const wire = (d: EcsDocument, stream: 'activesync' | 'application' | 'alerts', send = false): unknown =>
    withWireShape(d, stream, 'now', send, () => JSON.parse(JSON.stringify(d)));

  it("leaves out the stream's constant fields and keeps every other field in its order", () => {
    const d = iisLike();
    const before = JSON.stringify(d);
    assert.equal(
      JSON.stringify(wire(d, 'activesync')),
      '{"@timestamp":"2014-03-10T00:00:00.000Z","event":{"action":"Ping","ingested":"now"},' +
        '"data_stream":{"namespace":"default"},"ecs":{"version":"9.4.0"},"agent":{"version":"0.1.0","id":"a1","name":"vm"}}',
    );
    assert.equal(JSON.stringify(d), before, 'the shared document is left as it was, key order included');
  });

  it('sends a field whose value is not the constant, and only the constants of the stream', () => {
    const d = iisLike();
    (d.event as Record<string, unknown>)['category'] = ['web', 'authentication'];
    (d.event as Record<string, unknown>)['kind'] = 'alert';
    const w = wire(d, 'activesync') as { event: Record<string, unknown> };
    assert.deepEqual(w.event, {
      kind: 'alert',
      category: ['web', 'authentication'],
      action: 'Ping',
      ingested: 'now',
    });
    // The application stream has no constant event.category/type, and its own dataset.
    const app = wire(iisLike(), 'application') as { event: Record<string, unknown>; data_stream: unknown };
    assert.deepEqual(app.event, {
      dataset: 'exchange.activesync',
      category: ['web'],
      type: ['access'],
      action: 'Ping',
      ingested: 'now',
    });
    assert.deepEqual(app.data_stream, { dataset: 'exchange.activesync', namespace: 'default' });
  });

  it('leaves out an object holding only constants, and puts back the very same values, also in a nested call', () => {
    const d = iisLike();
    d['data_stream'] = { type: 'logs', dataset: 'exchange.activesync' };
    d['agent'] = { type: 'casguard' };
    const event = d['event'] as Record<string, unknown>;
    const category = event['category'];
    const other = iisLike();
    const inner: string[] = [];
    const outer = withWireShape(d, 'activesync', 'now', false, () => {
      // Another document shaped while this one is (an output pushing to another): each restores its own.
      inner.push(withWireShape(other, 'activesync', 'later', false, () => JSON.stringify(other)));
      return JSON.stringify(d);
    });
    assert.equal(
      outer,
      '{"@timestamp":"2014-03-10T00:00:00.000Z","event":{"action":"Ping","ingested":"now"},"ecs":{"version":"9.4.0"}}',
    );
    assert.match(
      inner[0]!,
      /"event":\{"action":"Ping","ingested":"later"\},"data_stream":\{"namespace":"default"\}/,
    );
    // Left as it was but for `event.ingested`, now an undefined value last in `event` (JSON leaves it out).
    assert.equal(JSON.stringify(other), JSON.stringify(iisLike()));
    const otherEvent = other['event'] as Record<string, unknown>;
    assert.deepEqual(Object.keys(otherEvent), [...Object.keys(iisLike()['event'] as object), 'ingested']);
    assert.equal(otherEvent['ingested'], undefined, 'unset after the call');
    assert.deepEqual(Object.keys(d), ['@timestamp', 'event', 'data_stream', 'ecs', 'agent']);
    assert.equal(event['category'], category, 'the same array object, not a copy');
    assert.deepEqual(d['data_stream'], { type: 'logs', dataset: 'exchange.activesync' });
    assert.deepEqual(d['agent'], { type: 'casguard' });
  });

  it('sends everything for alerts and when sendStreamConstants is set, and restores after a throw', () => {
    const full = JSON.parse(JSON.stringify(iisLike())) as { event: Record<string, unknown> };
    full.event['ingested'] = 'now';
    assert.deepEqual(wire(iisLike(), 'alerts'), full);
    assert.deepEqual(wire(iisLike(), 'activesync', true), full);
    const d = iisLike();
    const before = JSON.stringify(d);
    assert.throws(() =>
      withWireShape(d, 'activesync', 'now', false, () => {
        throw new Error('boom');
      }),
    );
    assert.equal(JSON.stringify(d), before);
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
    const dataDir = tempDir('cg-ingested-');
    let now = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const sink = createElasticsearchOutput(
      ElasticsearchOutputConfig.parse({
        hosts: ['http://127.0.0.1:9'],
        flushIntervalMs: 10,
        namespace: 'prod',
      }),
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
        .map((l) => JSON.parse(l) as { event: { ingested: string }; data_stream: { namespace: string } });
      assert.deepEqual(
        sources.map((s) => s.event.ingested),
        ['2026-01-02T03:04:05.678Z', '2026-01-02T03:05:05.678Z'],
      );
      assert.deepEqual(
        sources.map((s) => s.data_stream.namespace),
        ['prod', 'prod'],
      );
      assert.equal(
        (shared.doc.event as Record<string, unknown>).ingested,
        undefined,
        'the shared document holds no ingested time after the push',
      );
      assert.equal(JSON.stringify(shared.doc), JSON.stringify(doc()), 'its JSON is what it was');
    } finally {
      await sink.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
