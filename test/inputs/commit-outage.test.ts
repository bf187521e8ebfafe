// The acknowledgement committer during an outage of the registry's disk (the data folder full or failing, as
// when the file output's disk fills up): every commit fails to write the registry. It used to log
// `file_read_error` ("Could not read file") and `registry_write_failed` at every commit, several times a second;
// now the outage is one line when it starts, one when it ends, a /health condition while it lasts, and the
// checkpoints are written once the disk is back. The failure is a real one: the checkpoint base's temp file path
// is made a directory, so opening it for writing fails with EISDIR.

import assert from 'node:assert/strict';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { FileInput, Registry, readCheckpoints } from '../../src/inputs/index.js';
import { healthConditions, resetHealthConditions } from '../../src/telemetry/health.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';
import { FakeSink, MemoryDeadLetters, inputConfig, tempDir, testHandlers, waitFor } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('checkpoint commits while the registry cannot be written', () => {
  afterEach(() => resetHealthConditions());

  it('one warning per outage, no file_read_error, a /health condition, and the offsets written afterwards', async () => {
    const tmp = await tempDir('casguard-commit-outage-');
    try {
      const logs = path.join(tmp.dir, 'logs');
      await mkdir(logs);
      await writeFile(path.join(logs, 'a.log'), 'one\ntwo\nthree\n');
      const log = recordingLogger();
      const registry = await Registry.open(path.join(tmp.dir, 'data'), log);
      // The first checkpoint write is a whole new base (checkpoints.base.tmp, then renamed): make it fail.
      const tmpPath = path.join(registry.dir, 'checkpoints.base.tmp');
      await mkdir(tmpPath); // every registry write now fails
      const sink = new FakeSink();
      const input = new FileInput(inputConfig({ paths: [path.join(logs, '*.log')], checkpointFlushMs: 50 }), {
        baseDir: tmp.dir,
        handlerFactory: testHandlers('lines'),
        sink,
        deadLetters: new MemoryDeadLetters(),
        registry,
        logger: log,
      });
      await input.start();
      await waitFor(() => sink.docs.length >= 3, 5000, 'the three lines');
      await sleep(1000); // about 20 commits
      const count = (event: string): number => log.lines.filter((l) => l.meta['event'] === event).length;
      assert.equal(count('file_read_error'), 0, 'nothing is wrong with reading files');
      assert.equal(count('registry_write_failed'), 1, 'one line for the outage');
      assert.ok(healthConditions()['registry'], '/health says the checkpoints cannot be saved');
      await rmdir(tmpPath); // the disk is back
      await waitFor(() => count('registry_write_recovered') === 1, 5000, 'recovery');
      assert.equal(healthConditions()['registry'], undefined);
      await input.stop();
      await registry.close();
      const saved = await readCheckpoints(registry.dir);
      assert.equal(saved[0]?.offset, 14, 'the acknowledged offset was written once the disk came back');
    } finally {
      await tmp.cleanup();
    }
  });
});
