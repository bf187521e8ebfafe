// When a replay has read every file, what the sink still holds is sent at once: the replay does not sit idle
// until the sink's next flush interval (`flushIntervalMs`, 1 s by default) to get its last acknowledgements.
// The sink here settles nothing until it is asked to flush, as the Elasticsearch sink does with a partial batch
// and a long flush interval; a replay that waited for the interval would never end.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileInput, readCheckpoints } from '../../src/inputs/index.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import { FakeSink, MemoryDeadLetters, inputConfig, openRegistry, tempDir, testHandlers } from './helpers.js';

/**
 * Settles documents only when flushed (FakeSink's manual mode: a partial batch waiting for a flush interval that
 * never comes), and counts the flushes.
 */
class FlushOnlySink extends FakeSink {
  flushes = 0;
  override manual = true;
  override async flush(): Promise<void> {
    this.flushes += 1;
    return super.flush();
  }
}

describe('the end of a replay', () => {
  it('flushes the sink once every file is read instead of waiting for its flush interval', async () => {
    const tmp = await tempDir('casguard-replay-final-flush-');
    try {
      const file = path.join(tmp.dir, 'one.log');
      const text = '#Fields: a\nline 1\nline 2\nline 3\n';
      await writeFile(file, text);
      const data = path.join(tmp.dir, 'data');
      const registry = await openRegistry(data);
      const sink = new FlushOnlySink();
      const input = new FileInput(inputConfig({ paths: [file], watch: false }), {
        baseDir: tmp.dir,
        handlerFactory: testHandlers('lines'),
        sink,
        deadLetters: new MemoryDeadLetters(),
        registry,
        logger: nullLogger,
      });
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => resolve('hung'), 10_000);
      });
      const run = input.runOnce([file]);
      const outcome = await Promise.race([run, hung]);
      clearTimeout(timer);
      if (outcome === 'hung') {
        await sink.close(); // what a flush timer would have done: the replay can end, and the test with it
        await run;
      }
      assert.notEqual(outcome, 'hung', 'the replay waited for a flush that only a timer would have made');
      assert.equal(sink.flushes, 1);
      assert.deepEqual(
        sink.docs.map((d) => d.text),
        ['#Fields: a', 'line 1', 'line 2', 'line 3'],
      );
      await registry.close();
      const [cp] = await readCheckpoints(path.join(data, 'registry'));
      assert.equal(cp?.offset, text.length);
      assert.equal(cp?.done, true);
    } finally {
      await tmp.cleanup();
    }
  });
});
