// A backlog of more files than MAX_ACTIVE_FILES (issue 19: 20,000 files under 200 MiB) is read a bounded number of
// files at a time: the others wait as paths, and files read to their end are parked (parser and framer dropped)
// as soon as their records are settled, even when the acknowledgements come later. Nothing is lost or read twice,
// a parked file resumes with its parser state when it grows, and a restart reads nothing again.

import assert from 'node:assert/strict';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileInput, readCheckpoints } from '../../src/inputs/index.js';
import { MAX_ACTIVE_FILES } from '../../src/inputs/file-input.js';
import type { InputContext } from '../../src/inputs/tail.types.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import type { DocumentSink } from '../../src/pipeline/stages.types.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import { MemoryDeadLetters, inputConfig, tempDir, testHandlers, waitFor, openRegistry } from './helpers.js';
import { settle, type OnSettled } from '../../src/pipeline/settle.js';

const FILES = MAX_ACTIVE_FILES + 150;

/** Records id, text and the parser state each document was made with; settles later when `delayed`. */
class StateSink implements DocumentSink {
  readonly docs: { id: string; text: string; fields: string | undefined }[] = [];
  private held: OnSettled[] = [];
  private timer: NodeJS.Timeout | undefined;
  constructor(delayed: boolean) {
    // Acknowledgements arrive in batches every 30 ms, as from an output.
    if (delayed) this.timer = setInterval(() => this.settle(), 30);
  }
  push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    const d = doc.doc as unknown as { message: string; labels?: { fields?: string } };
    this.docs.push({ id: doc.id, text: d.message, fields: d.labels?.fields });
    if (this.timer) this.held.push(onSettled);
    else settle(onSettled);
    return true;
  }
  settle(): void {
    for (const s of this.held.splice(0)) settle(s);
  }
  drain = async (): Promise<void> => undefined;
  flush = async (): Promise<void> => this.settle();
  close = async (): Promise<void> => {
    clearInterval(this.timer);
    this.settle();
  };
}

async function readBacklog(delayed: boolean): Promise<void> {
  const tmp = await tempDir('casguard-backlog-');
  // Stopped in `finally` too: a failed wait must not leave an input or timer running (the test file's process
  // would then never exit, and the run would hang instead of reporting the failure).
  const running: { stop: () => Promise<void> }[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    const logs = path.join(tmp.dir, 'logs');
    await mkdir(logs);
    for (let i = 0; i < FILES; i++)
      await writeFile(
        path.join(logs, `f${String(i).padStart(4, '0')}.log`),
        `#Fields: f${i}\nf${i}-a\nf${i}-b\n`,
      );
    const data = path.join(tmp.dir, 'data');
    const make = async (sink: StateSink) =>
      new FileInput(inputConfig({ paths: [path.join(logs, '*.log')], watch: false }), {
        baseDir: tmp.dir,
        handlerFactory: testHandlers('lines'),
        sink,
        deadLetters: new MemoryDeadLetters(),
        registry: await openRegistry(data, nullLogger),
        logger: nullLogger,
      });
    const sink = new StateSink(delayed);
    running.push({ stop: () => sink.close() });
    const input = await make(sink);
    running.push(input);
    const ctx = (input as unknown as { ctx: InputContext }).ctx;
    let maxActive = 0;
    let maxWaiting = 0;
    sampler = setInterval(() => {
      let active = 0;
      for (const t of ctx.tails.values()) if (t.handler && !t.finished) active += 1;
      maxActive = Math.max(maxActive, active);
      maxWaiting = Math.max(maxWaiting, ctx.waiting.size);
    }, 2);
    await input.start();
    await waitFor(() => sink.docs.length >= FILES * 3, 60_000, 'every line of the backlog');
    clearInterval(sampler);
    assert.ok(maxWaiting > 0, 'new files waited for a reader slot');
    // One waiting path may be let in per poll interval past the bound (so busy files cannot starve new ones).
    assert.ok(maxActive <= MAX_ACTIVE_FILES + 2, `readers with a parser at once: ${maxActive}`);

    // A parked file that grows resumes with its parser state (#Fields), from where it was.
    await waitFor(() => [...ctx.tails.values()].every((t) => !t.handler), 10_000, 'every file parked');
    await appendFile(path.join(logs, 'f0007.log'), 'f7-c\n');
    await waitFor(() => sink.docs.length >= FILES * 3 + 1, 10_000, 'the appended line');
    await input.stop();
    await sink.close();
    assert.deepEqual(sink.docs.at(-1), { id: sink.docs.at(-1)!.id, text: 'f7-c', fields: '#Fields: f7' });
    const ids = new Set(sink.docs.map((d) => d.id));
    assert.equal(ids.size, sink.docs.length, 'no document twice');
    for (let i = 0; i < FILES; i += 37) {
      const mine = sink.docs.filter((d) => d.text.startsWith(`f${i}-`)).map((d) => `${d.text}|${d.fields}`);
      const want = [`f${i}-a|#Fields: f${i}`, `f${i}-b|#Fields: f${i}`];
      assert.deepEqual(i === 7 ? mine.slice(0, 2) : mine, want);
    }

    // Every checkpoint is at its file's end; a restart reads nothing again.
    const cps = await readCheckpoints(path.join(data, 'registry'));
    assert.equal(cps.length, FILES);
    for (const cp of cps) {
      const i = Number(/f(\d+)\.log$/.exec(cp.path)![1]);
      const size = `#Fields: f${i}\nf${i}-a\nf${i}-b\n`.length + (i === 7 ? 5 : 0);
      assert.equal(cp.offset, size, cp.path);
    }
    const again = new StateSink(false);
    running.push({ stop: () => again.close() });
    const second = await make(again);
    running.push(second);
    await second.start();
    await new Promise((r) => setTimeout(r, 800));
    await second.stop();
    assert.deepEqual(again.docs, []);
  } finally {
    clearInterval(sampler);
    for (const r of running.reverse()) await r.stop().catch(() => undefined);
    await tmp.cleanup();
  }
}

describe('a backlog of more files than MAX_ACTIVE_FILES', () => {
  it('is read a bounded number of files at a time, each once, with acknowledgements at once', async () => {
    await readBacklog(false);
  });

  it('is read a bounded number of files at a time, each once, with acknowledgements that come later', async () => {
    await readBacklog(true);
  });
});
