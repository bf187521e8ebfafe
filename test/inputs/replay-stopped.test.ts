// A replay with worker threads (RunOnceOptions.processed): a worker gives up on a file at its first open or read
// error and says so in that file's last turn. The replay's summary must name such a file, with the offset reached
// and the error, so that `casguard replay` reports it and exits 5 (it used to log the error and exit 0 as if the
// whole file had been replayed). The source here stands in for the worker threads (a real read error cannot be
// caused on purpose on a file the main thread has just opened); it answers turns as WorkerTurnSource does.

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileInput } from '../../src/inputs/index.js';
import type {
  ProcessedRecord,
  ProcessedTurn,
  ProcessedTurnSource,
  ReplayFileJob,
} from '../../src/inputs/processed-turns.js';
import { documentId } from '../../src/pipeline/document-id.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import { FakeSink, MemoryDeadLetters, inputConfig, openRegistry, tempDir, testHandlers } from './helpers.js';

/** File 0: one record, then a read error; file 1: cannot be opened; file 2: read to its end. */
class FailingSource implements ProcessedTurnSource {
  private readonly jobs: ReplayFileJob[] = [];
  private readonly turns = new Map<number, number>();
  start(): void {}
  add(job: ReplayFileJob): number {
    return this.jobs.push(job) - 1;
  }
  async next(file: number): Promise<ProcessedTurn> {
    const job = this.jobs[file]!;
    const k = this.turns.get(file) ?? 0;
    this.turns.set(file, k + 1);
    const one = (offset: number, text: string): ProcessedRecord => ({
      endOffset: offset + text.length + 1,
      documents: [
        {
          id: documentId(job.source.inputId, job.source.fingerprint, offset),
          stream: 'activesync',
          op: 'create',
          doc: {
            '@timestamp': new Date(0).toISOString(),
            message: text,
            log: { file: { path: job.path }, offset },
          },
        },
      ],
    });
    const name = path.basename(job.path);
    if (name === 'a.log')
      return k === 0
        ? { records: [one(0, 'a-1')], bytesRead: 4, last: false, warnings: [] }
        : { records: [], bytesRead: 0, last: true, warnings: [], error: `EIO: i/o error, read` };
    if (name === 'b.log')
      return {
        records: [],

        bytesRead: 0,
        last: true,
        warnings: [],
        error: `EACCES: permission denied, open '${job.path}'`,
      };
    return k === 0
      ? { records: [one(0, 'c-1'), one(4, 'c-2')], bytesRead: 8, last: false, warnings: [] }
      : { records: [], bytesRead: 0, last: true, warnings: [] };
  }
  async close(): Promise<void> {}
}

describe('a replay whose worker could not read a file to its end', () => {
  it('names the file, the offset reached and the error in its summary', async () => {
    const tmp = await tempDir('casguard-replay-stopped-');
    try {
      const logs = path.join(tmp.dir, 'logs');
      await mkdir(logs);
      const files = ['a.log', 'b.log', 'c.log'].map((f) => path.join(logs, f));
      await writeFile(files[0]!, 'a-1\na-2\na-3\n');
      await writeFile(files[1]!, 'b-1\n');
      await writeFile(files[2]!, 'c-1\nc-2\n');
      const registry = await openRegistry(path.join(tmp.dir, 'data'));
      const sink = new FakeSink();
      const input = new FileInput(inputConfig({ paths: [path.join(logs, '*.log')], watch: false }), {
        baseDir: tmp.dir,
        handlerFactory: testHandlers('lines'),
        sink,
        deadLetters: new MemoryDeadLetters(),
        registry,
        logger: nullLogger,
      });
      const summary = await input.runOnce(files, { processed: new FailingSource() });
      assert.deepEqual(
        [...summary.stopped].sort((x, y) => x.path.localeCompare(y.path)),
        [
          { path: files[0], offset: 4, error: 'EIO: i/o error, read' },
          { path: files[1], offset: 0, error: `EACCES: permission denied, open '${files[1]}'` },
        ],
      );
      assert.equal(summary.processedElsewhere, true);
      assert.deepEqual(
        sink.docs.map((d) => d.text),
        ['a-1', 'c-1', 'c-2'],
      );
      await registry.close();
    } finally {
      await tmp.cleanup();
    }
  });
});
