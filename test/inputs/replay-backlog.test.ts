// A replay of more files than MAX_ACTIVE_FILES (a backfill of a month of rotated logs) holds at most
// MAX_ACTIVE_FILES readers: the other files wait as paths, and a file read to its end gives its slot to the next
// path only once its records are settled and its checkpoint committed. Every record arrives once, with the parser
// state of its own file, and a later path with the content of a file already read and dropped is a duplicate.

import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileInput, Registry, readCheckpoints } from '../../src/inputs/index.js';
import { MAX_ACTIVE_FILES } from '../../src/inputs/file-input.js';
import type { InputContext } from '../../src/inputs/tail.types.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import type { DocumentSink, FileHandlerFactory } from '../../src/pipeline/stages.types.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import { MemoryDeadLetters, inputConfig, tempDir, testHandlers, waitFor } from './helpers.js';
import { settle, type OnSettled } from '../../src/pipeline/settle.js';

const FILES = MAX_ACTIVE_FILES + 150;
const text = (i: number): string => `#Fields: f${i}\nf${i}-a\nf${i}-b\n`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Holds every acknowledgement (a flush included) while `holding`; settles them all on `release()`. */
class HoldingSink implements DocumentSink {
  readonly docs: { id: string; text: string; fields: string | undefined }[] = [];
  private holding = true;
  private held: OnSettled[] = [];
  push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    const d = doc.doc as unknown as { message: string; labels?: { fields?: string } };
    this.docs.push({ id: doc.id, text: d.message, fields: d.labels?.fields });
    if (this.holding) this.held.push(onSettled);
    else settle(onSettled);
    return true;
  }
  release(): void {
    this.holding = false;
    for (const s of this.held.splice(0)) settle(s);
  }
  drain = async (): Promise<void> => undefined;
  flush = async (): Promise<void> => {
    if (!this.holding) this.release();
  };
  close = async (): Promise<void> => this.release();
}

describe('a replay of more files than MAX_ACTIVE_FILES', () => {
  it('holds at most MAX_ACTIVE_FILES readers; a slot is reused only after its file is settled and committed', async () => {
    const tmp = await tempDir('casguard-replay-backlog-');
    try {
      const logs = path.join(tmp.dir, 'logs');
      await mkdir(logs);
      const paths: string[] = [];
      for (let i = 0; i < FILES; i++) {
        const p = path.join(logs, `f${String(i).padStart(4, '0')}.log`);
        await writeFile(p, text(i));
        paths.push(p);
      }
      // The same content as the first file, named last: its identity was read (and dropped) long before.
      const copy = path.join(logs, 'copy-of-f0000.log');
      await copyFile(paths[0]!, copy);
      const data = path.join(tmp.dir, 'data');
      const registry = await Registry.open(data, nullLogger);
      const handlers = testHandlers('lines');
      let made = 0;
      const early: string[] = [];
      const factory: FileHandlerFactory = (source, head) => {
        made += 1;
        // The reader beyond the bound takes the slot of a file whose checkpoint is done (written).
        const done = registry.entries('test').filter((cp) => cp.done).length;
        if (made - MAX_ACTIVE_FILES > done) early.push(`reader ${made} with ${done} file(s) done`);
        return handlers(source, head);
      };
      const sink = new HoldingSink();
      const input = new FileInput(inputConfig({ paths: [path.join(logs, '*.log')], watch: false }), {
        baseDir: tmp.dir,
        handlerFactory: factory,
        sink,
        deadLetters: new MemoryDeadLetters(),
        registry,
        logger: nullLogger,
      });
      const ctx = (input as unknown as { ctx: InputContext }).ctx;
      let maxTails = 0;
      const sampler = setInterval(() => (maxTails = Math.max(maxTails, ctx.tails.size)), 2);
      const run = input.runOnce([...paths, copy]);

      // Nothing is acknowledged: the first MAX_ACTIVE_FILES files are read, and no other file is opened.
      let stalled: { made: number; docs: number };
      try {
        await waitFor(() => sink.docs.length >= MAX_ACTIVE_FILES * 3, 30_000, 'the lines of the first files');
        await sleep(300);
        stalled = { made, docs: sink.docs.length };
      } finally {
        sink.release();
      }
      const summary = await run;
      clearInterval(sampler);
      assert.deepEqual(
        stalled,
        { made: MAX_ACTIVE_FILES, docs: MAX_ACTIVE_FILES * 3 },
        'while nothing is acknowledged',
      );
      assert.deepEqual(early, []);
      assert.ok(maxTails <= MAX_ACTIVE_FILES, `readers at once: ${maxTails}`);
      assert.equal(made, FILES);
      assert.equal(summary.files, FILES);
      assert.equal(summary.records, FILES * 3);
      assert.equal(summary.documents, FILES * 3);
      assert.deepEqual(summary.duplicates, [copy]);
      assert.deepEqual(summary.skipped, []);
      assert.equal(new Set(sink.docs.map((d) => d.id)).size, FILES * 3, 'no document twice');
      for (let i = 0; i < FILES; i += 37) {
        const mine = sink.docs.filter((d) => d.text.startsWith(`f${i}-`)).map((d) => `${d.text}|${d.fields}`);
        assert.deepEqual(mine, [`f${i}-a|#Fields: f${i}`, `f${i}-b|#Fields: f${i}`]);
      }
      assert.equal(ctx.tails.size, 0, 'no reader left');
      await registry.close();
      const cps = await readCheckpoints(path.join(data, 'registry'));
      assert.equal(cps.length, FILES);
      for (const cp of cps) {
        const i = Number(/f(\d+)\.log$/.exec(cp.path)![1]);
        assert.equal(cp.offset, text(i).length, cp.path);
        assert.equal(cp.done, true, cp.path);
      }
    } finally {
      await tmp.cleanup();
    }
  });
});
