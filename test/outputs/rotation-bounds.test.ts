// The size bound of the file output's and the dead letters' files (`maxFileBytes`). Both wrote everything pending
// in one append and checked the size only before the next one, so a file could end up a whole write past its
// bound: with `maxFileBytes: 200000`, files of 6.4 and 8.4 MB (the operator-cli test's flake: with so few
// rotations, `maxFiles` was never reached on a fast machine), and with the defaults up to 8 MiB past 64 MiB per
// file. Now a file is rotated before a line that would take it past its bound, as the agent's own log is
// (src/telemetry/log-file.ts); a line larger than the bound gets a file of its own. Rotations within one
// millisecond must not rename onto each other (that replaced, and lost, the file rotated first).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { DeadLetter } from '../../src/pipeline/dead-letter.types.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import { DeadLetterFile } from '../../src/outputs/dead-letter/dead-letter-file.js';
import { FileOutput } from '../../src/outputs/file/file-output.js';
import { linesThatFit } from '../../src/outputs/disk/rotated-files.js';
import { resetHealthConditions } from '../../src/telemetry/health.js';
import { recordingLogger, type RecordedLine } from '../../src/telemetry/logger.types.js';
import { FaultyDisk } from '../helpers/faulty-disk.js';
import { tempDir } from '../helpers/temp-dir.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function doc(i: number, pad = 200): ShippableDocument {
  return {
    id: `d${i}`,
    stream: 'activesync',
    op: 'create',
    doc: { '@timestamp': '2013-09-19T14:22:11.000Z', message: `document ${i} ${'é'.repeat(pad)}` },
  };
}

function letter(i: number, pad = 200): DeadLetter {
  return {
    time: '2026-12-06T00:00:00.000Z',
    stage: 'parse',
    code: 'iis.column_count',
    reason: `line ${i} has 3 columns, #Fields names 15`,
    record: `broken ${i} ${'é'.repeat(pad)}`,
  };
}

/** A family's files, oldest first (rotated names sort by time; the live file is the newest). */
function family(dir: string, live: string, prefix: string): string[] {
  const names = readdirSync(dir);
  const rotated = names.filter((n) => n !== live && n.startsWith(prefix) && n.endsWith('.ndjson')).sort();
  return [...rotated, ...(names.includes(live) ? [live] : [])].map((n) => path.join(dir, n));
}

function linesOf(files: readonly string[]): string[] {
  return files.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => l !== ''),
  );
}

const idsOf = (files: readonly string[]): string[] =>
  linesOf(files).map((l) => (JSON.parse(l) as { _id: string })._id);

function newDir(): string {
  return tempDir('cg-rotation-');
}

describe('linesThatFit', () => {
  it('takes the lines that fit, at least one into an empty file, none when the first does not fit', () => {
    assert.equal(linesThatFit([10, 10, 10], 0, 0, 25), 2);
    assert.equal(linesThatFit([10, 10, 10], 1, 0, 30), 2);
    assert.equal(linesThatFit([10, 10, 10], 0, 5, 25), 2);
    assert.equal(linesThatFit([10, 10, 10], 0, 6, 25), 1);
    assert.equal(
      linesThatFit([40, 10], 0, 0, 25),
      1,
      'a line larger than the bound goes alone into an empty file',
    );
    assert.equal(linesThatFit([40, 10], 0, 1, 25), 0);
    assert.equal(linesThatFit([10], 0, 25, 25), 0);
  });
});

describe('file output: maxFileBytes', () => {
  afterEach(() => resetHealthConditions());

  it('rotates before a line would pass the bound, within one write, and loses no line to a rotation in the same millisecond', async () => {
    const dir = newDir();
    const max = 4096;
    const out = new FileOutput(
      { path: dir, maxFileBytes: max, maxFiles: 1000 },
      { flushIntervalMs: 1_000_000 },
    );
    let settled = 0;
    for (let i = 0; i < 200; i++) out.push(doc(i), () => settled++);
    await out.flush(); // one write of everything pending: about 100 KB
    await out.close();
    assert.equal(settled, 200);
    const files = family(dir, 'activesync.ndjson', 'activesync-');
    assert.ok(files.length >= 20, `${files.length} files`);
    for (const f of files)
      assert.ok(statSync(f).size <= max, `${path.basename(f)}: ${statSync(f).size} bytes`);
    // Every file but the live one is as full as the next line allows: rotated at the bound, not a line early.
    // (The first line, d0's, is the shortest; the others are longer by at most 4 bytes: `d199`, `document 199`.)
    const shortest = Buffer.byteLength(readFileSync(files[0]!, 'utf8').split('\n')[0]! + '\n');
    for (const f of files.slice(0, -1))
      assert.ok(statSync(f).size > max - shortest - 4, `${path.basename(f)} rotated early`);
    assert.deepEqual(
      idsOf(files),
      Array.from({ length: 200 }, (_, i) => `d${i}`),
      'every document once, in order, across the files in name order',
    );
  });

  it('gives a line larger than the bound a file of its own', async () => {
    const dir = newDir();
    const out = new FileOutput(
      { path: dir, maxFileBytes: 1000, maxFiles: 100 },
      { flushIntervalMs: 1_000_000 },
    );
    out.push(doc(0, 10), () => {});
    out.push(doc(1, 2000), () => {});
    out.push(doc(2, 10), () => {});
    await out.flush();
    await out.close();
    const files = family(dir, 'activesync.ndjson', 'activesync-');
    assert.deepEqual(
      files.map((f) => idsOf([f])),
      [['d0'], ['d1'], ['d2']],
    );
  });

  it('rotates a live file an earlier run left at its bound before writing to it', async () => {
    const dir = newDir();
    const old =
      JSON.stringify({ _id: 'old', _index: 'logs-exchange.activesync-default', _source: {} }) + '\n';
    writeFileSync(path.join(dir, 'activesync.ndjson'), old.repeat(40)); // 40 lines, past the bound below
    const out = new FileOutput(
      { path: dir, maxFileBytes: 2000, maxFiles: 100 },
      { flushIntervalMs: 1_000_000 },
    );
    out.push(doc(0, 10), () => {});
    await out.flush();
    await out.close();
    assert.deepEqual(idsOf([path.join(dir, 'activesync.ndjson')]), ['d0']);
    const files = family(dir, 'activesync.ndjson', 'activesync-');
    assert.equal(files.length, 2);
    assert.equal(idsOf([files[0]!]).length, 40);
  });

  it('keeps maxFiles files, saying what it deleted', async () => {
    const dir = newDir();
    const lines: RecordedLine[] = [];
    const out = new FileOutput(
      { path: dir, maxFileBytes: 4096, maxFiles: 3 },
      { flushIntervalMs: 1_000_000, logger: recordingLogger(lines) },
    );
    for (let i = 0; i < 100; i++) out.push(doc(i), () => {});
    await out.flush();
    await out.close();
    const files = family(dir, 'activesync.ndjson', 'activesync-');
    assert.equal(files.length, 3);
    const deleted = lines.filter((l) => l.meta['event'] === 'file_output_deleted_at_bound');
    assert.ok(deleted.length >= 7, `${deleted.length} deletions`);
    // What is kept is the newest: the last document is in the live file.
    assert.equal(idsOf(files).at(-1), 'd99');
  });

  it('acknowledges the pieces written before the disk filled, and writes the rest once when space returns', async () => {
    const dir = newDir();
    const disk = new FaultyDisk();
    const out = new FileOutput(
      { path: dir, maxFileBytes: 4096, maxFiles: 1000 },
      { io: disk, flushIntervalMs: 1_000_000, retryInitialDelayMs: 10, retryMaxDelayMs: 20 },
    );
    try {
      const settled: number[] = [];
      for (let i = 0; i < 60; i++) out.push(doc(i), () => settled.push(i));
      disk.free = 10_000; // two files' worth and part of a third
      const flushed = out.flush();
      await sleep(60);
      assert.ok(out.inOutage, 'the disk is full');
      const onDisk = idsOf(family(dir, 'activesync.ndjson', 'activesync-'));
      assert.ok(onDisk.length > 0 && onDisk.length < 60, `${onDisk.length} on disk`);
      assert.deepEqual(
        settled.map((i) => `d${i}`),
        onDisk,
        'exactly the documents on disk are acknowledged',
      );
      disk.free = Infinity;
      await flushed;
      assert.deepEqual(settled, [...Array(60).keys()]);
      assert.deepEqual(
        idsOf(family(dir, 'activesync.ndjson', 'activesync-')),
        Array.from({ length: 60 }, (_, i) => `d${i}`),
      );
    } finally {
      await out.close();
    }
  });
});

describe('dead letters: deadLetter.maxFileBytes', () => {
  afterEach(() => resetHealthConditions());

  it('rotates before a letter would pass the bound, within one write, keeping every letter in order', async (t) => {
    const dir = newDir();
    const max = 4096;
    const dl = new DeadLetterFile({ dir, maxFileBytes: max, maxFiles: 1000 });
    t.after(() => dl.close());
    for (let i = 0; i < 200; i++) dl.write(letter(i)); // written through every 256: all in one write at flush
    await dl.flush();
    await dl.close();
    const files = family(dir, 'dead-letter.ndjson', 'dead-letter-');
    assert.ok(files.length >= 20, `${files.length} files`);
    for (const f of files)
      assert.ok(statSync(f).size <= max, `${path.basename(f)}: ${statSync(f).size} bytes`);
    assert.deepEqual(
      linesOf(files).map((l) => (JSON.parse(l) as DeadLetter).reason.split(' ')[1]),
      Array.from({ length: 200 }, (_, i) => String(i)),
    );
  });

  it('rotates a live file an earlier run left at its bound, and keeps maxFiles', async (t) => {
    const dir = newDir();
    writeFileSync(path.join(dir, 'dead-letter.ndjson'), (JSON.stringify(letter(-1)) + '\n').repeat(20));
    const lines: RecordedLine[] = [];
    const dl = new DeadLetterFile({ dir, maxFileBytes: 2000, maxFiles: 2, logger: recordingLogger(lines) });
    t.after(() => dl.close());
    dl.write(letter(0, 10));
    await dl.flush();
    assert.equal(linesOf([path.join(dir, 'dead-letter.ndjson')]).length, 1);
    assert.equal(family(dir, 'dead-letter.ndjson', 'dead-letter-').length, 2);
    for (let i = 1; i < 40; i++) dl.write(letter(i));
    await dl.flush();
    await dl.close();
    assert.equal(family(dir, 'dead-letter.ndjson', 'dead-letter-').length, 2);
    assert.ok(
      lines.some((l) => l.meta['event'] === 'dead_letters_deleted_at_bound'),
      'the deletion is reported',
    );
  });
});
