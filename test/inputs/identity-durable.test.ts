// A new file's identity is on disk before any document carrying it leaves. IIS creates each log with only its
// header (263 bytes here, in the array test), so the agent first takes the file's identity over those few bytes;
// a restarted agent that finds no checkpoint takes it over the first 4,096 bytes instead, a different identity,
// and sends every record again under new document ids (found by the array crash test: up to 166 ActiveSync
// records stored twice when an agent was SIGKILLed within a second of its first documents).
//
// "Crash" here: the moment the sink receives the first document, the registry folder is copied as it is on disk
// (a SIGKILL at that moment leaves exactly that). An agent restarted on the copy, after the file has grown past
// 4,096 bytes, must give the records it reads again the same ids as before.

import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileInput, Registry, readCheckpoints } from '../../src/inputs/index.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';
import { FakeSink, MemoryDeadLetters, inputConfig, tempDir, testHandlers, waitFor } from './helpers.js';
import type { OnSettled } from '../../src/pipeline/settle.js';

/** Copies the registry folder, as it is on disk, when its first document arrives. */
class CrashPointSink extends FakeSink {
  copied = false;
  constructor(
    private readonly registryDir: string,
    private readonly to: string,
  ) {
    super();
  }
  override push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    if (!this.copied) {
      cpSync(this.registryDir, this.to, { recursive: true });
      this.copied = true;
    }
    return super.push(doc, onSettled);
  }
}

describe('a new file identity and a crash', () => {
  it('is on disk before the first document leaves, so a restart after the file grew keeps every id', async () => {
    const tmp = await tempDir('casguard-identity-durable-');
    try {
      const logs = path.join(tmp.dir, 'logs');
      await mkdir(logs);
      const file = path.join(logs, 'u_ex13091900.log');
      await writeFile(file, '#Fields: a b\nfirst line\n'); // 24 bytes: the identity is taken over these
      const log = recordingLogger();
      const dataDir = path.join(tmp.dir, 'data');
      const crashDir = path.join(tmp.dir, 'crashed');
      const registry = await Registry.open(dataDir, log);
      const sink = new CrashPointSink(registry.dir, path.join(crashDir, 'registry'));
      const cfg = inputConfig({ paths: [path.join(logs, '*.log')], checkpointFlushMs: 60_000 });
      const deps = { baseDir: tmp.dir, handlerFactory: testHandlers('lines') };
      const first = new FileInput(cfg, {
        ...deps,
        sink,
        deadLetters: new MemoryDeadLetters(),
        registry,
        logger: log,
      });
      await first.start();
      await waitFor(() => sink.docs.length >= 2, 5000, 'the first two records');
      await first.stop();
      await registry.close();
      const before = new Map(sink.docs.map((d) => [d.offset, d.id]));

      const saved = await readCheckpoints(path.join(crashDir, 'registry'));
      assert.equal(
        saved.length,
        1,
        'the checkpoint of the new file was on disk when its first document left',
      );

      // The file grows past the fingerprint length while the agent is down.
      const more = Array.from({ length: 300 }, (_, i) => `line ${i} ${'x'.repeat(20)}\n`).join('');
      await appendFile(file, more);
      const again = new FakeSink();
      const reg2 = await Registry.open(crashDir, log);
      const second = new FileInput(cfg, {
        ...deps,
        sink: again,
        deadLetters: new MemoryDeadLetters(),
        registry: reg2,
        logger: log,
      });
      await second.start();
      await waitFor(() => again.docs.length >= 302, 5000, 'every record after the restart');
      await second.stop();
      await reg2.close();
      for (const [offset, id] of before) {
        const now = again.docs.find((d) => d.offset === offset);
        assert.equal(now?.id, id, `the record at offset ${offset} keeps its document id`);
      }
    } finally {
      await tmp.cleanup();
    }
  });
});
