// The same output, with its compatible-with=8 headers, ships to 8.x and 9.x servers; a 7.x server refuses the
// headers (as Elasticsearch 7 would), and that is reported as a request an operator must fix, with nothing lost.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';
import { openSink, pushAll, range } from './helpers.js';

describe('cluster versions', () => {
  for (const version of ['8.0.1', '8.15.0', '9.1.0']) {
    it(`ships to Elasticsearch ${version}`, async () => {
      const es = await startEsTestServer({ version });
      const { sink } = openSink(es.url);
      try {
        await pushAll(sink, range(0, 300), new Map());
        await sink.flush();
        assert.equal(es.totalDocs(), 300);
        assert.ok(es.stats.gzipRequests > 0, 'es.stats.gzipRequests > 0');
      } finally {
        await sink.close();
        await es.stop();
      }
    });
  }

  it('keeps documents and reports the refusal when a 7.x server rejects the headers', async () => {
    const es = await startEsTestServer({ version: '7.17.0' });
    const lines: ReturnType<typeof recordingLogger>['lines'] = [];
    const { sink } = openSink(
      es.url,
      { retry: { initialDelayMs: 5, maxDelayMs: 20 } },
      { logger: recordingLogger(lines) },
    );
    try {
      const settled = new Map<string, number>();
      await pushAll(sink, range(0, 10), settled);
      await sink.flush(); // spooled, not dropped
      assert.equal(es.totalDocs(), 0);
      assert.equal(sink.counts.spooled, 10);
      const err = lines.find((l) => l.level === 'error');
      assert.ok(err, 'an operator error was logged');
      assert.match(JSON.stringify(err.meta), /media_type_header_exception/);
    } finally {
      await sink.close();
      await es.stop();
    }
  });
});
