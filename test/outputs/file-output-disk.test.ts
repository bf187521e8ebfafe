// Issue 19 finding 2: the file output on a full disk. The old output acknowledged a partial write (1,962 of
// 2,133 bytes of a document on disk, checkpoint past it), crashed on the next write with an uncaught ENOSPC,
// and left a corrupt line. Now: nothing is acknowledged until wholly written and fsync'd, a failed write is
// rolled back to the last whole line, the outage is reported once (log event, metric, /health condition), the
// inputs are held at the high-water mark, and everything is written exactly once when space returns.
// Runs against an injected full disk (always) and a real small tmpfs (where it can be mounted).

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import type { DiskIo } from '../../src/outputs/disk/disk-io.js';
import { FileOutput } from '../../src/outputs/file/file-output.js';
import { healthConditions, resetHealthConditions } from '../../src/telemetry/health.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';
import type { RecordedLine } from '../../src/telemetry/logger.types.js';
import { metricsRegistry, resetMetrics } from '../../src/telemetry/metrics.js';
import { FaultyDisk } from '../helpers/faulty-disk.js';
import { mountTmpfs } from '../helpers/tmpfs.js';
import { tempDir } from '../helpers/temp-dir.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function doc(i: number): ShippableDocument {
  return {
    id: `d${i}`,
    stream: i % 5 === 4 ? 'application' : 'activesync',
    op: 'create',
    doc: { '@timestamp': '2013-09-19T14:22:11.000Z', message: `document ${i} ${'x'.repeat(1800)}` },
  };
}

/** Every line of every output file parsed; throws on a corrupt line. */
function readIds(dir: string): string[] {
  const ids: string[] = [];
  for (const f of ['activesync.ndjson', 'application.ndjson']) {
    const p = path.join(dir, f);
    if (!existsSync(p)) continue;
    const text = readFileSync(p, 'utf8');
    assert.ok(text === '' || text.endsWith('\n'), `${f} ends on a whole line`);
    for (const line of text.split('\n').filter((l) => l !== '')) {
      ids.push((JSON.parse(line) as { _id: string })._id);
    }
  }
  return ids;
}

async function outageScenario(
  dir: string,
  io: DiskIo | undefined,
  fill: () => void,
  free: () => void,
): Promise<void> {
  const lines: RecordedLine[] = [];
  const out = new FileOutput(
    { path: dir, maxFileBytes: 1 << 30 },
    {
      logger: recordingLogger(lines),
      flushIntervalMs: 5,
      highWaterBytes: 64 * 1024,
      retryInitialDelayMs: 10,
      retryMaxDelayMs: 40,
      ...(io ? { io } : {}),
    },
  );
  const settled = new Map<string, number>();
  let pushed = 0;
  try {
    const push = (i: number): boolean =>
      out.push(doc(i), () => settled.set(`d${i}`, (settled.get(`d${i}`) ?? 0) + 1));
    for (let i = 0; i < 20; i++) push(i);
    await out.flush();
    assert.equal(settled.size, 20);
    fill();
    // Documents keep coming: the writes fail, nothing more is acknowledged, and push() asks the input to wait.
    let i = 20;
    let accepted = true;
    while (accepted && i < 1000) accepted = push(i++);
    pushed = i;
    assert.equal(accepted, false, 'push() answers false at the high-water mark during the outage');
    await sleep(150);
    assert.equal(settled.size, 20, 'nothing written during the outage is acknowledged');
    assert.ok(out.inOutage, 'out.inOutage');
    const onDisk = readIds(dir); // also: no torn or corrupt line, even after a short write
    assert.ok(onDisk.length >= 20 && onDisk.length < pushed, 'onDisk.length >= 20 && onDisk.length < pushed');
    for (const id of onDisk.slice(20)) assert.fail(`${id} is on disk but was not acknowledged`);
    const started = lines.filter((l) => l.meta['event'] === 'disk_outage_started');
    assert.equal(started.length, 1, 'one log line for the outage, not one per attempt');
    assert.equal(started[0]!.meta['path'], 'file-output');
    assert.ok(
      ['ENOSPC', 'EIO'].includes(started[0]!.meta['code'] as string),
      "['ENOSPC', 'EIO'].includes(started[0]!.meta['code'] as string)",
    );
    assert.ok(healthConditions()['disk:file-output'], '/health shows the outage');
    assert.match(await metricsRegistry().metrics(), /casguard_disk_outage\{path="file-output"\} 1/);
    let drained = false;
    const draining = out.drain().then(() => (drained = true));
    await sleep(50);
    assert.equal(drained, false);
    free();
    await draining;
    await out.flush();
    await out.close();
  } finally {
    // a failed assertion must not leave the retry timer running
    await out.close();
  }
  assert.ok(
    lines.some((l) => l.meta['event'] === 'disk_outage_ended'),
    "lines.some((l) => l.meta['event'] === 'disk_outage_ended')",
  );
  assert.equal(healthConditions()['disk:file-output'], undefined);
  assert.match(await metricsRegistry().metrics(), /casguard_disk_outage\{path="file-output"\} 0/);
  const ids = readIds(dir);
  assert.equal(ids.length, pushed, 'every document exactly once');
  assert.equal(new Set(ids).size, pushed);
  for (let k = 0; k < pushed; k++) assert.equal(settled.get(`d${k}`), 1, `d${k} settled once`);
}

describe('file output on a full disk', () => {
  afterEach(() => {
    resetHealthConditions();
  });

  it('(injected ENOSPC after a short write) acknowledges nothing partial, pauses, reports once, writes everything once when space returns', async () => {
    resetMetrics();
    const disk = new FaultyDisk();
    const dir = tempDir('cg-fo-disk-');
    await outageScenario(
      dir,
      disk,
      () => (disk.free = 1000), // the next batch writes 1,000 bytes of a line, then ENOSPC
      () => (disk.free = Infinity),
    );
    assert.ok((disk.failures['write'] ?? 0) >= 1, "(disk.failures['write'] ?? 0) >= 1");
  });

  it('(injected EIO on fsync) treats a failing disk the same way', async () => {
    resetMetrics();
    const disk = new FaultyDisk();
    const dir = tempDir('cg-fo-disk-');
    await outageScenario(
      dir,
      disk,
      () => (disk.failFsync = true),
      () => (disk.failFsync = false),
    );
  });

  it('(real tmpfs) the same on a small filesystem that really fills up', async (t) => {
    const fs = mountTmpfs(2 * 1024 * 1024);
    if ('skip' in fs) return t.skip(fs.skip);
    resetMetrics();
    try {
      await outageScenario(path.join(fs.dir, 'out'), undefined, () => void fs.fill(), fs.free);
    } finally {
      fs.unmount();
    }
  });

  it('cuts a line torn by a crash in an earlier run when it opens the file, and says so', async () => {
    const dir = tempDir('cg-fo-torn-');
    const whole = `${JSON.stringify({ _id: 'a', _index: 'x', _source: {} })}\n`;
    writeFileSync(path.join(dir, 'activesync.ndjson'), `${whole}{"_id":"b","_ind`);
    const lines: RecordedLine[] = [];
    const out = new FileOutput({ path: dir, maxFileBytes: 1 << 30 }, { logger: recordingLogger(lines) });
    out.push(doc(0), () => undefined);
    await out.close();
    assert.deepEqual(readIds(dir), ['a', 'd0']);
    const cut = lines.find((l) => l.meta['event'] === 'disk_torn_line_cut');
    assert.equal(cut?.meta['bytes'], 16);
  });
});
