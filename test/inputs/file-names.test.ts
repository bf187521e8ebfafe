// A file whose name is not valid UTF-8 cannot be named by the agent's string paths: it is reported once with a
// named event (the bad bytes shown as \xNN, so the operator can find and rename it), not silently skipped at
// every rescan, and the other files are read as usual.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileInput, Registry } from '../../src/inputs/index.js';
import { nullLogger, recordingLogger } from '../../src/telemetry/logger.types.js';
import { FakeSink, MemoryDeadLetters, inputConfig, tempDir, testHandlers, waitFor } from './helpers.js';

describe('file names that are not valid UTF-8', () => {
  it('are reported once with a named event that shows the bad bytes', async () => {
    const tmp = await tempDir('casguard-names-');
    try {
      const logs = path.join(tmp.dir, 'logs');
      await mkdir(logs);
      writeFileSync(
        Buffer.concat([Buffer.from(`${logs}/u_ex`), Buffer.from([0xe9]), Buffer.from('.log')]),
        'bad-1\n',
      );
      await writeFile(path.join(logs, 'good.log'), 'good-1\n');
      const log = recordingLogger();
      const sink = new FakeSink();
      const input = new FileInput(inputConfig({ paths: [path.join(logs, '*.log')] }), {
        baseDir: tmp.dir,
        handlerFactory: testHandlers('lines'),
        sink,
        deadLetters: new MemoryDeadLetters(),
        registry: await Registry.open(path.join(tmp.dir, 'data'), nullLogger),
        logger: log,
      });
      await input.start();
      await waitFor(() => sink.docs.length >= 1, 5000, 'the good file');
      await new Promise((r) => setTimeout(r, 1000)); // five rescans
      await input.stop();
      const reports = log.lines.filter((l) => l.meta['event'] === 'file_name_not_utf8');
      assert.equal(reports.length, 1);
      assert.equal(reports[0]!.meta['path'], path.join(logs, 'u_ex\\xe9.log'));
      assert.equal(reports[0]!.level, 'error');
      assert.deepEqual(
        sink.docs.map((d) => d.text),
        ['good-1'],
      );
    } finally {
      await tmp.cleanup();
    }
  });
});
