// A spool that cannot be written (disk full, folder gone) never throws into the inputs and never loses a
// document: batches stay in memory, an operator error is logged, and they are delivered when the cluster is back.

import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import { spoolDir } from '../../src/outputs/elasticsearch/elasticsearch-output.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';
import { openSink, pushAll, range } from './helpers.js';

describe('spool write failure', () => {
  it('keeps batches in memory and reports it when the spool cannot be written', async (t) => {
    const es = await startEsTestServer();
    t.after(() => es.stop());
    await es.down();
    const lines: ReturnType<typeof recordingLogger>['lines'] = [];
    const h = openSink(
      es.url,
      {
        maxBufferBytes: 20_000,
        maxBatchDocs: 20,
        requestTimeoutMs: 300,
        retry: { initialDelayMs: 5, maxDelayMs: 30 },
      },
      { logger: recordingLogger(lines) },
    );
    // the spool folder is replaced by a file: every segment write fails with ENOTDIR
    const dir = spoolDir(h.dataDir);
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'not a folder');
    const settled = new Map<string, number>();
    const pushing = pushAll(h.sink, range(0, 300), settled);
    await new Promise((r) => setTimeout(r, 500));
    const outage = lines.filter((l) => l.meta['event'] === 'disk_outage_started');
    assert.equal(outage.length, 1, 'the disk error is reported once, not per batch');
    assert.equal(outage[0]!.meta['path'], 'spool');
    assert.equal(outage[0]!.level, 'error');
    assert.ok(settled.size < 300, 'nothing is acknowledged as spooled');
    await es.up();
    await pushing;
    await h.sink.flush();
    await h.sink.close();
    assert.equal(es.totalDocs(), 300);
    assert.equal([...settled.values()].filter((n) => n === 1).length, 300);
  });
});
