// A real process is SIGKILLed while it spools (cluster down); a new process drains the spool: every document
// that was acknowledged reaches the server exactly once, and no torn segment is left behind.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import { spoolDir } from '../../src/outputs/elasticsearch/elasticsearch-output.js';
import { targetName } from '../../src/outputs/elasticsearch/targets.js';
import { openSink, tempDir } from './helpers.js';

describe('spool crash safety', () => {
  it('keeps every acknowledged document across a SIGKILL and delivers it once after restart', async () => {
    const es = await startEsTestServer({ seed: 11 });
    await es.down();
    const dataDir = tempDir();
    const N = 20_000;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join('test', 'outputs', 'spool-crash-child.ts'), es.url, dataDir, String(N)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const acked = new Set<string>();
    let buf = '';
    let killedAt = -1;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          if (l.startsWith('ACK ')) acked.add(l.slice(4));
          if (l === 'ALL') reject(new Error('child finished before it was killed'));
        }
        if (killedAt < 0 && acked.size >= N / 4) {
          killedAt = acked.size;
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    assert.ok(killedAt > 0, 'the child was killed mid-run');
    // (lines already in the pipe when it died still count: they were acknowledged before the kill)
    const dir = spoolDir(dataDir);
    assert.ok(
      readdirSync(dir).some((n) => n.endsWith('.ndjson')),
      'segments on disk',
    );

    await es.up();
    const { sink } = openSink(es.url, {}, { dataDir });
    try {
      await sink.idle();
      assert.deepEqual(
        readdirSync(dir).filter((n) => n.endsWith('.tmp') || n.endsWith('.ndjson')),
        [],
      );
      const stored = new Map<string, number>();
      for (const s of ['activesync', 'application', 'alerts'] as const) {
        for (const id of es.docs(targetName(s, 'default')).keys()) stored.set(id, (stored.get(id) ?? 0) + 1);
      }
      for (const id of acked) assert.equal(stored.get(id), 1, `acknowledged ${id} stored once`);
      // nothing unacknowledged was invented, and nothing stored twice
      for (const [id, n] of stored) assert.equal(n, 1, id);
      assert.ok(stored.size >= acked.size, 'stored.size >= acked.size');
      console.log(
        `killed after ${killedAt} acks; ${acked.size} acknowledged, ${stored.size} stored after restart`,
      );
    } finally {
      await sink.close();
      await es.stop();
    }
  });
});
