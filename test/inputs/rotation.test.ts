// Rotation and change handling under load: a writer appends numbered lines while the file is rotated in each
// of the ways Windows and Linux hosts do it; every line must be shipped exactly once.

import assert from 'node:assert/strict';
import { closeSync, copyFileSync, ftruncateSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileInput } from '../../src/inputs/index.js';
import { nullLogger, recordingLogger } from '../../src/telemetry/logger.types.js';
import {
  FakeSink,
  MemoryDeadLetters,
  duplicates,
  inputConfig,
  openRegistry,
  tempDir,
  waitFor,
  testHandlers,
} from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Appends `line-N` lines through an open descriptor, like a logger holding its file open. */
class Writer {
  n = 0;
  fd: number;
  constructor(public file: string) {
    this.fd = openSync(file, 'a');
  }
  write(count: number): void {
    let s = '';
    for (let i = 0; i < count; i++) s += `line-${this.n++} ${'x'.repeat(40)}\r\n`;
    writeSync(this.fd, s);
  }
  /** Write for `ms` milliseconds in small bursts (the "load"). */
  async run(ms: number, perBurst = 50): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      this.write(perBurst);
      await sleep(5);
    }
  }
  reopen(file = this.file): void {
    closeSync(this.fd);
    this.file = file;
    this.fd = openSync(file, 'a');
  }
  close(): void {
    closeSync(this.fd);
  }
}

async function setup(pattern = '*.log*', logger = nullLogger) {
  const tmp = await tempDir('casguard-rotation-');
  const logs = path.join(tmp.dir, 'logs');
  await mkdir(logs);
  const registry = await openRegistry(path.join(tmp.dir, 'data'), nullLogger);
  const sink = new FakeSink();
  const input = new FileInput(inputConfig({ paths: [path.join(logs, pattern)], closeIdleMs: 400 }), {
    baseDir: tmp.dir,
    handlerFactory: testHandlers('lines'),
    sink,
    deadLetters: new MemoryDeadLetters(),
    registry,
    logger,
  });
  return { ...tmp, logs, sink, input, registry };
}

function assertExactlyOnce(sink: FakeSink, total: number): void {
  const texts = sink.docs.map((d) => d.text.split(' ')[0]!);
  const seen = new Set(texts);
  const missing: number[] = [];
  for (let i = 0; i < total; i++) if (!seen.has(`line-${i}`)) missing.push(i);
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} lines missing`);
  assert.equal(texts.length, total, 'no line shipped twice');
  assert.deepEqual(duplicates(sink.docs), []);
}

describe('rotation under load', () => {
  it('rename-and-create: late writes to the renamed file and the new file are both read', async () => {
    const s = await setup();
    try {
      const w = new Writer(path.join(s.logs, 'u_ex.log'));
      await s.input.start();
      await w.run(600);
      renameSync(w.file, path.join(s.logs, 'u_ex.log.1'));
      w.write(200); // the logger still holds the old handle for a moment
      w.reopen(path.join(s.logs, 'u_ex.log'));
      await w.run(600);
      w.close();
      await waitFor(() => s.sink.docs.length >= w.n, 15000, `all ${w.n} lines`);
      await sleep(300);
      await s.input.stop();
      assertExactlyOnce(s.sink, w.n);
    } finally {
      await s.cleanup();
    }
  });

  it('rename to a name outside the pattern: the open handle is drained before it is closed', async () => {
    const s = await setup('*.log');
    try {
      const w = new Writer(path.join(s.logs, 'u_ex.log'));
      await s.input.start();
      await w.run(500);
      renameSync(w.file, path.join(s.logs, 'u_ex.old'));
      w.write(300);
      w.reopen(path.join(s.logs, 'u_ex.log'));
      await w.run(400);
      w.close();
      await waitFor(() => s.sink.docs.length >= w.n, 15000, `all ${w.n} lines`);
      await sleep(300);
      await s.input.stop();
      assertExactlyOnce(s.sink, w.n);
    } finally {
      await s.cleanup();
    }
  });

  it('copytruncate: the copy supplies what was not read yet, the truncated file is read as new', async () => {
    const s = await setup();
    try {
      const w = new Writer(path.join(s.logs, 'app.log'));
      await s.input.start();
      await w.run(600, 200);
      // logrotate copytruncate: copy, then truncate the live file in place (the writer keeps its O_APPEND fd).
      copyFileSync(w.file, path.join(s.logs, 'app.log.1'));
      ftruncateSync(w.fd, 0);
      await w.run(600, 200);
      w.close();
      await waitFor(() => s.sink.docs.length >= w.n, 15000, `all ${w.n} lines`);
      await sleep(300);
      await s.input.stop();
      assertExactlyOnce(s.sink, w.n);
    } finally {
      await s.cleanup();
    }
  });

  it('copytruncate while the output is stalled: reading resumes in the copy at the exact offset', async () => {
    const log = recordingLogger();
    const s = await setup('*.log*', log);
    try {
      s.sink.manual = true;
      s.sink.capacity = 50;
      const w = new Writer(path.join(s.logs, 'app.log'));
      w.write(5000);
      await s.input.start();
      await waitFor(() => s.sink.docs.length >= 50, 5000, 'reading blocked by the sink');
      copyFileSync(w.file, path.join(s.logs, 'app.log.1'));
      ftruncateSync(w.fd, 0);
      w.write(1000);
      await sleep(400); // let the reader notice the truncation while stalled
      s.sink.manual = false;
      s.sink.settle();
      await waitFor(() => s.sink.docs.length >= w.n, 15000, `all ${w.n} lines`);
      await sleep(300);
      await s.input.stop();
      w.close();
      assertExactlyOnce(s.sink, w.n);
      const events = log.lines.map((l) => l.meta['event']);
      // Either the reader sees the truncation first, or discovery sees the copy first: both move it.
      assert.ok(events.includes('file_moved'), 'reading moved to the copy');
    } finally {
      await s.cleanup();
    }
  });

  it('truncate in place after the content was read: new content is read from the start', async () => {
    const s = await setup();
    try {
      const w = new Writer(path.join(s.logs, 'app.log'));
      await s.input.start();
      await w.run(400);
      await waitFor(() => s.sink.docs.length >= w.n, 10000, 'first part');
      ftruncateSync(w.fd, 0);
      await w.run(400);
      w.close();
      await waitFor(() => s.sink.docs.length >= w.n, 10000, `all ${w.n} lines`);
      await sleep(300);
      await s.input.stop();
      assertExactlyOnce(s.sink, w.n);
    } finally {
      await s.cleanup();
    }
  });

  it('delete while reading: the open handle is read to the end, last partial line included', async () => {
    const s = await setup();
    try {
      const w = new Writer(path.join(s.logs, 'big.log'));
      w.write(60000);
      writeSync(w.fd, 'tail-without-newline');
      w.close();
      await s.input.start();
      await waitFor(() => s.sink.docs.length > 100, 10000, 'reading started');
      unlinkSync(w.file);
      await waitFor(() => s.sink.docs.length >= w.n + 1, 20000, 'all lines of the deleted file');
      await sleep(200);
      await s.input.stop();
      assert.equal(s.sink.docs.at(-1)!.text, 'tail-without-newline');
      s.sink.docs.pop();
      assertExactlyOnce(s.sink, w.n);
    } finally {
      await s.cleanup();
    }
  });

  it('replacement under the same name: the new content is read, the old is not read again', async () => {
    const s = await setup();
    try {
      const f = path.join(s.logs, 'export.log');
      const w = new Writer(f);
      w.write(500);
      w.close();
      await s.input.start();
      await waitFor(() => s.sink.docs.length >= 500, 10000, 'old content');
      const w2 = new Writer(path.join(s.logs, 'export.tmp'));
      w2.n = 500;
      w2.write(700);
      w2.close();
      renameSync(w2.file, f);
      await waitFor(() => s.sink.docs.length >= 1200, 10000, 'new content');
      await sleep(500);
      await s.input.stop();
      assertExactlyOnce(s.sink, 1200);
    } finally {
      await s.cleanup();
    }
  });

  it('growth after an idle period longer than closeIdleMs is picked up', async () => {
    const s = await setup();
    try {
      const w = new Writer(path.join(s.logs, 'quiet.log'));
      w.write(10);
      await s.input.start();
      await waitFor(() => s.sink.docs.length >= 10, 5000, 'first lines');
      await sleep(1200); // handle closed after 400 ms idle, polling backs off
      w.write(10);
      await waitFor(() => s.sink.docs.length >= 20, 10000, 'lines after idle');
      await s.input.stop();
      w.close();
      assertExactlyOnce(s.sink, 20);
    } finally {
      await s.cleanup();
    }
  });

  it('a small file is read at once and not read twice as it grows, also across a restart', async () => {
    const s = await setup();
    try {
      const f = path.join(s.logs, 'small.log');
      await writeFile(f, 'line-0 a\n');
      await s.input.start();
      await waitFor(() => s.sink.docs.length === 1, 5000, 'small file');
      const w = new Writer(f);
      w.n = 1;
      w.write(100); // grows past the fingerprint size
      await waitFor(() => s.sink.docs.length === 101, 5000, 'growth');
      await s.input.stop();
      w.write(50);
      w.close();
      const registry = await openRegistry(path.join(s.dir, 'data'), nullLogger);
      const again = new FileInput(inputConfig({ paths: [path.join(s.logs, '*.log*')] }), {
        baseDir: s.dir,
        handlerFactory: testHandlers('lines'),
        sink: s.sink,
        deadLetters: new MemoryDeadLetters(),
        registry,
        logger: nullLogger,
      });
      await again.start();
      await waitFor(() => s.sink.docs.length >= 151, 5000, 'after restart');
      await sleep(300);
      await again.stop();
      assertExactlyOnce(s.sink, 151);
    } finally {
      await s.cleanup();
    }
  });

  it('two files that start with the same header are told apart once they grow', async () => {
    const s = await setup();
    try {
      const header =
        '#Software: Microsoft Internet Information Services 8.5\r\n#Date: 2013-09-19 00:00:00\r\n';
      const a = path.join(s.logs, 'W3SVC1-u_ex.log');
      const b = path.join(s.logs, 'W3SVC2-u_ex.log');
      await writeFile(a, header);
      await writeFile(b, header);
      await s.input.start();
      await waitFor(() => s.sink.docs.length === 2, 5000, 'header of the first file');
      const wa = new Writer(a);
      const wb = new Writer(b);
      wb.n = 1000;
      for (let i = 0; i < 20; i++) {
        wa.write(10);
        wb.write(10);
        await sleep(20);
      }
      wa.close();
      wb.close();
      await waitFor(() => s.sink.docs.length >= 402, 10000, 'both files');
      await sleep(500);
      await s.input.stop();
      const lines = s.sink.docs.map((d) => d.text.split(' ')[0]!).filter((t) => t.startsWith('line-'));
      assert.equal(lines.length, 400);
      assert.equal(new Set(lines).size, 400);
      assert.equal(s.sink.docs.filter((d) => d.path === b).length, 202, 'the second file, header included');
    } finally {
      await s.cleanup();
    }
  });
});
