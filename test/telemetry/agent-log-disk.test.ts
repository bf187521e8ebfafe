// Issue 19 finding 5 (the log side): the agent's log file on a full disk. The old daily-rotate transport
// emitted an unhandled 'error' on ENOSPC: exit 1, and every restart crashed the same way until space returned.
// Now a failing log file is rolled back to whole lines, its lines go to stderr meanwhile, the outage is one
// named event (log, metric, /health condition), and the file is used again once it can be written.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { createAgentLogger } from '../../src/telemetry/logger.js';
import { healthConditions, resetHealthConditions } from '../../src/telemetry/health.js';
import { metricsRegistry, resetMetrics } from '../../src/telemetry/metrics.js';
import { FaultyDisk } from '../helpers/faulty-disk.js';
import { tempDir } from '../helpers/temp-dir.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fileLines(dir: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const f of readdirSync(dir).sort()) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    assert.ok(text === '' || text.endsWith('\n'), `${f} ends on a whole line`);
    for (const l of text.split('\n').filter((x) => x !== ''))
      out.push(JSON.parse(l) as Record<string, unknown>);
  }
  return out;
}

describe('agent log file on a full disk', () => {
  afterEach(() => resetHealthConditions());

  it('keeps logging (to stderr) when the file cannot be written, reports it once, and returns to the file', async () => {
    resetMetrics();
    const dataDir = tempDir('cg-log-disk-');
    const disk = new FaultyDisk();
    const stderr: string[] = [];
    const log = createAgentLogger(
      { level: 'info', console: 'off', file: true, maxFileBytes: 1 << 20, maxFiles: 3 },
      dataDir,
      { io: disk, stderr: (b) => stderr.push(b.toString('utf8')), retryMs: 20 },
    );
    log.info('before', { n: 1 });
    disk.free = 30; // the next line is written in part, then ENOSPC
    for (let i = 0; i < 50; i++) log.info('during the outage', { i });
    await sleep(10);
    assert.equal(
      stderr.filter((l) => /during the outage/.test(l)).length,
      50,
      'no line is lost: stderr has them',
    );
    const started = stderr.filter((l) => /disk_outage_started/.test(l));
    assert.equal(started.length, 1, 'reported once');
    assert.match(started[0]!, /"path":"log"/);
    assert.match(started[0]!, /ENOSPC/);
    assert.ok(healthConditions()['disk:log'], "healthConditions()['disk:log']");
    assert.match(await metricsRegistry().metrics(), /casguard_disk_outage\{path="log"\} 1/);
    disk.free = Infinity;
    await sleep(30);
    log.info('after', { n: 2 });
    await sleep(10);
    await log.close();
    const lines = fileLines(path.join(dataDir, 'logs'));
    const messages = lines.map((l) => l['message']);
    assert.ok(
      messages.includes('before') && messages.includes('after'),
      "messages.includes('before') && messages.includes('after')",
    );
    assert.ok(!messages.includes('during the outage'), 'those went to stderr');
    assert.ok(
      lines.some((l) => l['event'] === 'disk_outage_ended'),
      "lines.some((l) => l['event'] === 'disk_outage_ended')",
    );
    assert.equal(healthConditions()['disk:log'], undefined);
  });

  it('rotates by size and keeps the newest maxFiles files', async () => {
    const dataDir = tempDir('cg-log-rot-');
    const dir = path.join(dataDir, 'logs');
    const log = createAgentLogger(
      { level: 'info', console: 'off', file: true, maxFileBytes: 2048, maxFiles: 3 },
      dataDir,
    );
    for (let i = 0; i < 100; i++) log.info('line', { i, pad: 'x'.repeat(100) });
    await log.close();
    const files = readdirSync(dir).sort();
    assert.equal(files.length, 3);
    assert.ok(
      files.every((f) => /^casguard-\d{4}-\d{2}-\d{2}(\.\d+)?\.log$/.test(f)),
      'files.every((f) => /^casguard-\\d{4}-\\d{2}-\\d{2}(\\.\\d+)?\\.log$/.test(f))',
    );
    const lines = fileLines(dir);
    assert.equal(lines.at(-1)!['i'], 99, 'the newest lines are kept');
    for (const f of files)
      assert.ok(
        readFileSync(path.join(dir, f)).length <= 2048,
        'readFileSync(path.join(dir, f)).length <= 2048',
      );
  });

  it('continues the newest file of the day after a restart', async () => {
    const dataDir = tempDir('cg-log-cont-');
    const dir = path.join(dataDir, 'logs');
    const cfg = { level: 'info', console: 'off', file: true, maxFileBytes: 1 << 20, maxFiles: 3 } as const;
    const a = createAgentLogger(cfg, dataDir);
    a.info('first run');
    await a.close();
    const day = readdirSync(dir)[0]!;
    writeFileSync(path.join(dir, 'casguard-2000-01-01.log'), '{"message":"old"}\n');
    const b = createAgentLogger(cfg, dataDir);
    b.info('second run');
    await b.close();
    assert.deepEqual(
      fileLines(dir).map((l) => l['message']),
      ['old', 'first run', 'second run'],
    );
    assert.ok(readdirSync(dir).includes(day), 'readdirSync(dir).includes(day)');
  });
});
