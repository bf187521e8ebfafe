// Per-file metric series (bytes, records, errors, lag, labelled by path) are removed when the file is forgotten:
// a host whose logs rotate by date or by number must not grow the metrics endpoint with every rotation.

import assert from 'node:assert/strict';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileInput } from '../../src/inputs/index.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import { metricsRegistry, resetMetrics } from '../../src/telemetry/metrics.js';
import {
  FakeSink,
  MemoryDeadLetters,
  inputConfig,
  tempDir,
  testHandlers,
  waitFor,
  openRegistry,
} from './helpers.js';

async function fileLabels(): Promise<Set<string>> {
  const out = new Set<string>();
  for (const m of await metricsRegistry().getMetricsAsJSON()) {
    if (!m.name.startsWith('casguard_input_')) continue;
    for (const v of m.values) if (typeof v.labels['file'] === 'string') out.add(v.labels['file']);
  }
  return out;
}

describe('per-file metric series', () => {
  it('are removed when a file is deleted or rotated away, so cardinality does not grow per rotation', async () => {
    resetMetrics();
    const tmp = await tempDir('casguard-file-metrics-');
    try {
      const logs = path.join(tmp.dir, 'logs');
      await mkdir(logs);
      const sink = new FakeSink();
      const input = new FileInput(inputConfig({ paths: [path.join(logs, '*.log')], closeIdleMs: 200 }), {
        baseDir: tmp.dir,
        handlerFactory: testHandlers('lines'),
        sink,
        deadLetters: new MemoryDeadLetters(),
        registry: await openRegistry(path.join(tmp.dir, 'data'), nullLogger),
        logger: nullLogger,
      });
      await input.start();
      const rotations = 12;
      for (let i = 0; i < rotations; i++) {
        const file = path.join(logs, `u_ex${String(i).padStart(6, '0')}.log`);
        await writeFile(file, `first of ${i} ${'.'.repeat(i)}\nsecond of ${i}\n`);
        await waitFor(() => sink.docs.length >= 2 * (i + 1), 5000, `file ${i}`);
        // Half are deleted, half renamed out of the pattern (rotated by name).
        if (i % 2 === 0) await unlink(file);
        else await rename(file, `${file}.old`);
      }
      const during = await fileLabels();
      await new Promise((r) => setTimeout(r, 1500)); // the reader sees every file gone and forgets it
      const after = await fileLabels();
      await input.stop();
      assert.ok(during.size >= 1, 'series exist while files are read');
      assert.ok(after.size <= 1, `series left for ${after.size} forgotten files: ${[...after].join(', ')}`);
    } finally {
      await tmp.cleanup();
    }
  });
});
