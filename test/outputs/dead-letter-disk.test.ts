// The dead-letter file and the disk spool on a full disk (issue 19: "every file casguard writes"): a dead
// letter is durable before anything that depends on it is acknowledged, so flush() waits through the outage
// instead of failing; the spool refuses a batch it cannot write wholly and leaves nothing behind.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { DeadLetter } from '../../src/pipeline/dead-letter.types.js';
import { DeadLetterFile } from '../../src/outputs/dead-letter/dead-letter-file.js';
import { Spool } from '../../src/outputs/delivery/spool.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';
import type { RecordedLine } from '../../src/telemetry/logger.types.js';
import { healthConditions, resetHealthConditions } from '../../src/telemetry/health.js';
import { startEsTestServer } from '../es-server/es-test-server.js';
import { openSink, pushAll, range } from './helpers.js';
import { FaultyDisk } from '../helpers/faulty-disk.js';
import { tempDir } from '../helpers/temp-dir.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const letter = (i: number): DeadLetter => ({
  time: '2026-12-06T00:00:00.000Z',
  stage: 'parse',
  code: 'iis.column_count',
  reason: `line ${i} has 3 columns, #Fields names 15`,
  record: `2013-09-19 14:00:${String(i % 60).padStart(2, '0')} broken ${'x'.repeat(300)}`,
});

describe('dead letters and the spool on a full disk', () => {
  it('dead-letter flush() resolves only once the letters are wholly on disk, after space returns', async (t) => {
    t.after(() => resetHealthConditions());
    const disk = new FaultyDisk();
    const dir = tempDir('cg-dl-disk-');
    const lines: RecordedLine[] = [];
    const dl = new DeadLetterFile({
      dir,
      io: disk,
      logger: recordingLogger(lines),
      retryInitialDelayMs: 10,
      retryMaxDelayMs: 20,
    });
    t.after(() => dl.close());
    dl.write(letter(0));
    await dl.flush();
    disk.free = 200; // the next flush writes part of a letter, then ENOSPC
    for (let i = 1; i <= 5; i++) dl.write(letter(i));
    let durable = false;
    const flushed = dl.flush().then(() => (durable = true));
    await sleep(100);
    assert.equal(durable, false, 'not durable, so not acknowledged');
    const text = readFileSync(path.join(dir, 'dead-letter.ndjson'), 'utf8');
    assert.equal(text.split('\n').filter((l) => l !== '').length, 1, 'the partial write was rolled back');
    assert.equal(lines.filter((l) => l.meta['event'] === 'disk_outage_started').length, 1);
    disk.free = Infinity;
    await flushed;
    const all = readFileSync(path.join(dir, 'dead-letter.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DeadLetter);
    assert.deepEqual(
      all.map((l) => l.reason),
      [0, 1, 2, 3, 4, 5].map((i) => letter(i).reason),
    );
    assert.ok(
      lines.some((l) => l.meta['event'] === 'disk_outage_ended'),
      "lines.some((l) => l.meta['event'] === 'disk_outage_ended')",
    );
  });

  it('the spool refuses a batch it cannot write wholly, leaves no segment or .tmp, and takes it once space returns', () => {
    const disk = new FaultyDisk();
    const dir = tempDir('cg-spool-disk-');
    const sp = new Spool({ dir, maxBytes: 1e9, whenFull: 'pause', io: disk });
    const body = `{"create":{"_index":"x","_id":"a"}}\n{"m":"${'y'.repeat(5000)}"}\n`;
    disk.free = 1000;
    assert.throws(() => sp.append(body, 1), { code: 'ENOSPC' });
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(sp.hasData, false);
    assert.equal(disk.free, 1000, 'the partial .tmp was deleted, its space given back');
    disk.free = Infinity;
    assert.equal(sp.append(body, 1).ok, true);
    assert.deepEqual(readdirSync(dir), ['seg-000000000001-1.ndjson']);
  });

  it('the Elasticsearch output keeps batches in memory while the spool disk is full and spools again once it has room', async (t) => {
    t.after(() => resetHealthConditions());
    const es = await startEsTestServer();
    t.after(() => es.stop());
    await es.down();
    const disk = new FaultyDisk(0);
    const lines: RecordedLine[] = [];
    const h = openSink(
      es.url,
      {
        maxBufferBytes: 20_000,
        maxBatchDocs: 20,
        requestTimeoutMs: 300,
        retry: { initialDelayMs: 5, maxDelayMs: 30 },
      },
      { logger: recordingLogger(lines), spoolIo: disk },
    );
    const settled = new Map<string, number>();
    const pushing = pushAll(h.sink, range(0, 300), settled);
    await sleep(500);
    assert.equal(lines.filter((l) => l.meta['event'] === 'disk_outage_started').length, 1);
    assert.ok(healthConditions()['disk:spool'], "healthConditions()['disk:spool']");
    const before = settled.size;
    assert.ok(before < 300, 'nothing is acknowledged as spooled');
    disk.free = Infinity; // space returns while the cluster is still down
    await sleep(1500);
    assert.ok(
      lines.some((l) => l.meta['event'] === 'disk_outage_ended'),
      'the probe saw the space return',
    );
    assert.equal(healthConditions()['disk:spool'], undefined);
    assert.ok(settled.size > before, 'batches are spooled (and acknowledged) again');
    await es.up();
    await pushing;
    await h.sink.idle();
    await h.sink.close();
    assert.equal(es.totalDocs(), 300);
    assert.ok(
      [...settled.values()].every((n) => n === 1),
      '[...settled.values()].every((n) => n === 1)',
    );
  });
});
