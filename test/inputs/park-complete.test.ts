// An export read to its end, completed, then parked while idle must stay complete. A parked reader drops its
// framer and goes back to its last acknowledged offset; the bytes after the last record (an export's closing
// line end) were then read again at the next look and taken for growth: the file was no longer complete
// (its checkpoint's `done` went back to false) and its idle time started over, every few seconds. A stop in
// that window left `done: false` (the Wine service test failed now and then: `Application-4999.xml
// checkpointed at 3210 of 3214 bytes`), and a file that keeps being "grown" is never closed as idle.

import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FileInput } from '../../src/inputs/index.js';
import type { InputContext } from '../../src/inputs/tail.types.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';
import {
  FakeSink,
  MemoryDeadLetters,
  inputConfig,
  openRegistry,
  tempDir,
  testHandlers,
  waitFor,
} from './helpers.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('an export parked after it was completed', () => {
  it('stays complete: the bytes after its last record are not growth', async () => {
    const tmp = await tempDir('casguard-park-complete-');
    try {
      const logs = path.join(tmp.dir, 'logs');
      await mkdir(logs);
      // A real export: its last line end follows the last record (`</Event>\r\n`).
      await copyFile(path.join(repoRoot, 'samples', 'Application-4999.xml'), path.join(logs, 'app.xml'));
      const log = recordingLogger();
      const sink = new FakeSink();
      const input = new FileInput(
        // Completed 300 ms after its last growth, parked 500 ms after it (min(5 s, closeIdleMs)).
        inputConfig({ paths: [path.join(logs, '*.xml')], exportSettleMs: 300, closeIdleMs: 500 }),
        {
          baseDir: tmp.dir,
          handlerFactory: testHandlers('xml-events'),
          sink,
          deadLetters: new MemoryDeadLetters(),
          registry: await openRegistry(path.join(tmp.dir, 'data'), log),
          logger: log,
        },
      );
      const ctx = (input as unknown as { ctx: InputContext }).ctx;
      await input.start();
      try {
        const tail = () => [...ctx.tails.values()][0];
        await waitFor(() => tail()?.cp.done === true, 10_000, 'the export complete');
        const docs = sink.docs.length;
        const grewAt = tail()!.lastGrowthAt;
        let parked = false;
        const seen: string[] = [];
        const until = Date.now() + 3000;
        while (Date.now() < until) {
          const t = tail()!;
          if (!t.handler) parked = true;
          if (!t.ended) seen.push(`not ended at ${Date.now() - grewAt} ms after its last growth`);
          if (t.cp.done !== true) seen.push(`checkpoint not done at ${Date.now() - grewAt} ms`);
          await sleep(10);
        }
        assert.ok(parked, 'the reader was parked while idle');
        assert.deepEqual(seen.slice(0, 3), [], 'the export stayed complete');
        assert.equal(tail()!.lastGrowthAt, grewAt, 'nothing was taken for growth');
        assert.equal(sink.docs.length, docs, 'no record read twice');
      } finally {
        await input.stop();
      }
    } finally {
      await tmp.cleanup();
    }
  });
});
