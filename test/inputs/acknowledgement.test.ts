// End-to-end acknowledgement and backpressure: the committed offset never passes a record whose documents
// are not all settled, dead letters are flushed before an offset that covers them is written, and reading
// pauses while the sink is full and resumes when it drains.

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { READ_CHUNK_BYTES } from '../../src/inputs/file-input.js';
import { FileInput, readCheckpoints } from '../../src/inputs/index.js';
import type { FramingKind } from '../../src/pipeline/record.types.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import {
  FakeSink,
  MemoryDeadLetters,
  inputConfig,
  tempDir,
  testHandlers,
  waitFor,
  openRegistry,
} from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function setup(framing: FramingKind = 'lines', over: Record<string, unknown> = {}) {
  const tmp = await tempDir('casguard-ack-');
  const logs = path.join(tmp.dir, 'logs');
  await mkdir(logs);
  const data = path.join(tmp.dir, 'data');
  const registry = await openRegistry(data, nullLogger);
  const sink = new FakeSink();
  const deadLetters = new MemoryDeadLetters();
  const input = new FileInput(inputConfig({ paths: [path.join(logs, '*')], ...over }), {
    baseDir: tmp.dir,
    handlerFactory: testHandlers(framing),
    sink,
    deadLetters,
    registry,
    logger: nullLogger,
  });
  const committed = async (): Promise<number | undefined> => {
    try {
      const files = await readCheckpoints(path.join(data, 'registry'));
      return files[0]?.offset;
    } catch {
      return undefined;
    }
  };
  /** Wait until the committed offset on disk is `want` (registry flushes are asynchronous). */
  const committedBecomes = async (want: number, timeoutMs = 5000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let last: number | undefined;
    while (Date.now() < deadline) {
      last = await committed();
      if (last === want) return;
      await sleep(25);
    }
    assert.fail(`committed offset stayed ${last}, expected ${want}`);
  };
  return { ...tmp, logs, sink, deadLetters, input, registry, committed, committedBecomes };
}

describe('acknowledgement', () => {
  it('never commits past an unsettled record, whatever order documents settle in', async () => {
    const s = await setup();
    try {
      s.sink.manual = true;
      // Offsets: a=0, b=2, c=4, d=6, end=8
      await writeFile(path.join(s.logs, 'a.log'), 'a\nb\nc\nd\n');
      await s.input.start();
      await waitFor(() => s.sink.waiting.length === 4, 5000, 'four documents in flight');
      await s.committedBecomes(0); // the file is registered at offset 0
      const [settleA, settleB, settleC, settleD] = s.sink.waiting.splice(0);
      settleB!();
      settleD!();
      await sleep(400);
      assert.equal(await s.committed(), 0, 'b and d settled, a not: nothing committed');
      settleA!();
      await s.committedBecomes(4); // a and b settled: up to c
      await sleep(200);
      assert.equal(await s.committed(), 4, 'never past c while c is in flight');
      settleC!();
      await s.committedBecomes(8);
      await s.input.stop();
    } finally {
      await s.cleanup();
    }
  });

  it('stores with each committed offset the parser state at that offset, not the latest one', async () => {
    const s = await setup();
    try {
      s.sink.manual = true;
      await writeFile(path.join(s.logs, 'a.log'), '#Fields: a\nx\n#Fields: b\ny\n');
      await s.input.start();
      await waitFor(() => s.sink.waiting.length === 4, 5000, 'in flight');
      s.sink.settle(2); // '#Fields: a' and 'x'
      await s.committedBecomes(13);
      const reg = await readCheckpoints(path.join(s.dir, 'data', 'registry'));
      assert.equal(reg[0]!.parserState, '#Fields: a');
      s.sink.settle();
      await s.committedBecomes(26);
      await s.input.stop();
      const after = await readCheckpoints(path.join(s.dir, 'data', 'registry'));
      assert.equal(after[0]!.parserState, '#Fields: b');
    } finally {
      await s.cleanup();
    }
  });

  it('on stop, commits only the settled prefix and re-reads the rest after a restart', async () => {
    const s = await setup('lines', { shutdownTimeoutMs: 200 });
    try {
      s.sink.manual = true;
      await writeFile(path.join(s.logs, 'a.log'), 'a\nb\nc\n');
      await s.input.start();
      await waitFor(() => s.sink.waiting.length === 3, 5000, 'in flight');
      s.sink.waiting.shift()!();
      await s.input.stop();
      assert.equal(await s.committed(), 2);
      const sink2 = new FakeSink();
      const again = new FileInput(inputConfig({ paths: [path.join(s.logs, '*')] }), {
        baseDir: s.dir,
        handlerFactory: testHandlers('lines'),
        sink: sink2,
        deadLetters: new MemoryDeadLetters(),
        registry: await openRegistry(path.join(s.dir, 'data'), nullLogger),
        logger: nullLogger,
      });
      await again.start();
      await waitFor(() => sink2.docs.length === 2, 5000, 'the unsettled records again');
      await again.stop();
      assert.deepEqual(
        sink2.docs.map((d) => d.text),
        ['b', 'c'],
      );
      // Same record, same id: the re-send is harmless.
      assert.equal(sink2.docs[0]!.id, s.sink.docs[1]!.id);
    } finally {
      await s.cleanup();
    }
  });

  it('flushes dead letters before committing an offset that covers them', async () => {
    const s = await setup();
    try {
      s.deadLetters.hold = true;
      await writeFile(path.join(s.logs, 'a.log'), 'ok\nBAD\n');
      await s.input.start();
      await waitFor(() => s.deadLetters.letters.length === 1, 5000, 'dead letter');
      await sleep(400);
      assert.equal((await s.committed()) ?? 0, 0, 'nothing committed while the dead letter is not durable');
      s.deadLetters.release();
      await s.committedBecomes(7);
      await s.input.stop();
      assert.ok(s.deadLetters.flushes >= 1, 's.deadLetters.flushes >= 1');
    } finally {
      await s.cleanup();
    }
  });

  it('dead-letters an over-long record with its position and goes on', async () => {
    const s = await setup('lines', { maxRecordBytes: 1024 });
    try {
      await writeFile(path.join(s.logs, 'a.log'), `first\n${'z'.repeat(10000)}\nlast\n`);
      const summary = await s.input.runOnce();
      assert.deepEqual(
        s.sink.docs.map((d) => d.text),
        ['first', 'last'],
      );
      assert.equal(s.deadLetters.letters.length, 1);
      const dl = s.deadLetters.letters[0]!;
      assert.equal(dl.code, 'framing.record_too_large');
      assert.equal(dl.stage, 'framing');
      assert.equal(dl.offset, 6);
      assert.ok(dl.record!.length <= 4096, 'dl.record!.length <= 4096');
      assert.equal(summary.deadLetters, 1);
    } finally {
      await s.cleanup();
    }
  });
});

describe('backpressure', () => {
  it('stops reading while the sink is full and resumes when it drains', async () => {
    const s = await setup();
    try {
      s.sink.manual = true;
      s.sink.capacity = 100;
      let text = '';
      // Several reads' worth of ~11-byte lines (a read's records are handed on whole).
      const lines = Math.ceil((4 * READ_CHUNK_BYTES) / 11);
      for (let i = 0; i < lines; i++) text += `line-${i}\n`;
      await writeFile(path.join(s.logs, 'a.log'), text);
      await s.input.start();
      await waitFor(() => s.sink.falseReturns > 0, 5000, 'the sink to fill');
      await sleep(400);
      const pushed = s.sink.pushes;
      await sleep(400);
      assert.equal(s.sink.pushes, pushed, 'no reading while the sink is full');
      // One read of ~8-byte lines or more may overshoot the capacity, never more.
      assert.ok(pushed <= 100 + READ_CHUNK_BYTES / 8, `pushed ${pushed}`);
      assert.ok(pushed < lines / 2, `pushed ${pushed} of ${lines}`);
      // Drain slowly: reading follows.
      while (s.sink.docs.length < lines) {
        s.sink.settle();
        await sleep(5);
      }
      s.sink.settle();
      await s.committedBecomes(Buffer.byteLength(text));
      await s.input.stop();
      assert.equal(new Set(s.sink.docs.map((d) => d.text)).size, lines);
    } finally {
      await s.cleanup();
    }
  });
});

describe('complete exports while tailing', () => {
  it('emits the last mailbox-log entry once the file stops changing', async () => {
    const s = await setup('mailbox-log');
    try {
      const entry = (n: number): string =>
        `\r\n-----------------\r\n Log Entry: ${n}\r\n-----------------\r\n\r\nRequestTime : \r\n09/19/2013 10:22:11\r\n`;
      await writeFile(path.join(s.logs, 'EASMailboxLog_johndoe_iPad_X.txt'), entry(0) + entry(1));
      await s.input.start();
      await waitFor(() => s.sink.docs.length === 2, 5000, 'both entries');
      await s.input.stop();
      assert.match(s.sink.docs[1]!.text, /Log Entry: 1/);
    } finally {
      await s.cleanup();
    }
  });

  it('reads a gzip file once, transparently, and not again after a restart', async () => {
    const s = await setup('lines');
    try {
      await writeFile(path.join(s.logs, 'u_ex130919.log.gz'), gzipSync(Buffer.from('one\ntwo\nthree')));
      await s.input.start();
      await waitFor(() => s.sink.docs.length === 3, 5000, 'gzip lines');
      await sleep(300);
      await s.input.stop();
      const again = new FileInput(inputConfig({ paths: [path.join(s.logs, '*')] }), {
        baseDir: s.dir,
        handlerFactory: testHandlers('lines'),
        sink: s.sink,
        deadLetters: new MemoryDeadLetters(),
        registry: await openRegistry(path.join(s.dir, 'data'), nullLogger),
        logger: nullLogger,
      });
      await again.start();
      await sleep(500);
      await again.stop();
      assert.deepEqual(
        s.sink.docs.map((d) => d.text),
        ['one', 'two', 'three'],
      );
    } finally {
      await s.cleanup();
    }
  });
});
