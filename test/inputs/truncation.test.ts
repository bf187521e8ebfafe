// Issue 19 findings 3 and 12: a file truncated in place that keeps its first 4 KiB (so its identity, the hash
// of those bytes, is unchanged) and is then written again must be read again, never resumed in the middle of a
// line at the old offset; a checkpoint beyond the end of its file is corrected once, with one warning.

import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileInput, Registry } from '../../src/inputs/index.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';
import type { InputContext } from '../../src/inputs/tail.types.js';
import { FakeSink, MemoryDeadLetters, inputConfig, tempDir, testHandlers, waitFor } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const line = (name: string, n: number): string => `${name}-${n} ${'x'.repeat(40)}\r\n`;

function lines(name: string, from: number, count: number): string {
  let s = '';
  for (let i = from; i < from + count; i++) s += line(name, i);
  return s;
}

async function setup() {
  const tmp = await tempDir('casguard-truncation-');
  const logs = path.join(tmp.dir, 'logs');
  await mkdir(logs);
  const file = path.join(logs, 'app.log');
  const log = recordingLogger();
  const dataDir = path.join(tmp.dir, 'data');
  const start = async (sink: FakeSink) => {
    const registry = await Registry.open(dataDir, log);
    const input = new FileInput(inputConfig({ paths: [path.join(logs, '*.log')] }), {
      baseDir: tmp.dir,
      handlerFactory: testHandlers('lines'),
      sink,
      deadLetters: new MemoryDeadLetters(),
      registry,
      logger: log,
    });
    await input.start();
    return { input, registry };
  };
  return { ...tmp, file, log, start };
}

/** Writes `text` (2,000 lines and maybe more), starts the input and waits until it has shipped the 2,000 lines. */
async function startAfter(s: Awaited<ReturnType<typeof setup>>, fd: number, text: string) {
  writeSync(fd, text);
  const sink = new FakeSink();
  const { input } = await s.start(sink);
  await waitFor(() => sink.docs.length >= 2_000, 15000, 'the first 2,000 lines');
  return { sink, input, ctx: (input as unknown as { ctx: InputContext }).ctx };
}

/** How many documents carry each `new-N` line (a line glued to the cut old line still counts). */
function newLineCounts(sink: FakeSink, total: number): { missing: number[]; twice: number[] } {
  const counts = new Array<number>(total).fill(0);
  for (const d of sink.docs) for (const m of d.text.matchAll(/new-(\d+) /g)) counts[Number(m[1])]! += 1;
  return {
    missing: counts.flatMap((c, i) => (c === 0 ? [i] : [])),
    twice: counts.flatMap((c, i) => (c > 1 ? [i] : [])),
  };
}

/**
 * Documents that begin in the middle of a line (what resuming at the old offset produced). The line cut by the
 * truncation, with the first new line glued to it, is a line of the file as it now is: it begins like a line.
 */
function midLine(sink: FakeSink): string[] {
  return sink.docs.filter((d) => !/^(line|new)-\d/.test(d.text)).map((d) => d.text.slice(0, 30));
}

/** Waits (bounded) for the `total` new lines, stops the input, and checks each was read once, from its start. */
async function expectEveryNewLineOnce(
  sink: FakeSink,
  input: { stop(): Promise<void> },
  total: number,
): Promise<void> {
  await waitFor(() => newLineCounts(sink, total).missing.length === 0, 20000, 'every new line').catch(
    () => undefined,
  );
  await sleep(300);
  await input.stop();
  const { missing, twice } = newLineCounts(sink, total);
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} new lines never read`);
  assert.deepEqual(twice.slice(0, 10), [], `${twice.length} new lines read twice`);
  assert.deepEqual(midLine(sink), [], 'no document starts in the middle of a line');
}

const events = (log: ReturnType<typeof recordingLogger>, name: string): number =>
  log.lines.filter((l) => l.meta['event'] === name).length;

describe('truncation in place that keeps the identifying bytes', () => {
  it('the new lines are all read once, none skipped, none read from the middle of a line', async () => {
    const s = await setup();
    const fd = openSync(s.file, 'a');
    try {
      writeSync(fd, lines('line', 0, 10_000)); // ~470 KiB
      const sink = new FakeSink();
      const { input } = await s.start(sink);
      await waitFor(() => sink.docs.length >= 10_000, 15000, 'the first 10,000 lines');
      ftruncateSync(fd, 4096); // keeps the first 4 KiB: same fingerprint
      await sleep(300); // the reader sees a file shorter than its offset
      const total = 12_000; // written in bursts, until the file is longer than the old offset again
      for (let i = 0; i < total; i += 500) {
        writeSync(fd, lines('new', i, 500));
        await sleep(20);
      }
      await expectEveryNewLineOnce(sink, input, total);
      assert.ok(
        events(s.log, 'file_truncated') <= 2,
        `file_truncated logged ${events(s.log, 'file_truncated')} times`,
      );
    } finally {
      closeSync(fd);
      await s.cleanup();
    }
  });

  for (const parked of [false, true])
    it(`written past the old offset before the reader looks again${parked ? ', its reader parked' : ''}: told by the bytes before the offset`, async () => {
      const s = await setup();
      const fd = openSync(s.file, 'a');
      try {
        const { sink, input, ctx } = await startAfter(s, fd, lines('line', 0, 2_000));
        await sleep(200);
        // Parked: idle for closeIdleMs, its parser and framer dropped and its handle closed (it kept no way to
        // tell until the reader kept the last bytes it read: 1,959 of 4,000 new lines were never read).
        if (parked)
          await waitFor(() => [...ctx.tails.values()].every((t) => !t.handler), 10_000, 'the reader parked');
        // Truncate and write more than was there, in one go (faster than the 50 ms poll).
        ftruncateSync(fd, 4096);
        const total = 4_000;
        writeSync(fd, lines('new', 0, total));
        await expectEveryNewLineOnce(sink, input, total);
      } finally {
        closeSync(fd);
        await s.cleanup();
      }
    });

  it("truncated and written past the old offset between the reader's stat and its read: told by the read itself", async () => {
    const s = await setup();
    const fd = openSync(s.file, 'a');
    try {
      const { sink, input, ctx } = await startAfter(s, fd, lines('line', 0, 2_000));
      // The writer acts in the gap between two system calls of the reader: the stat still sees the old size
      // (nothing changed, so nothing is verified), the read that follows finds other data at the old offset.
      const t = [...ctx.tails.values()][0]!;
      await waitFor(() => t.fh !== undefined, 5000, 'an open handle');
      const fh = t.fh!;
      const stat = fh.stat.bind(fh);
      const total = 4_000;
      let raced = false;
      fh.stat = (async (opts?: { bigint?: boolean }) => {
        const st = await stat(opts as { bigint: true });
        if (!raced) {
          raced = true;
          ftruncateSync(fd, 4096);
          writeSync(fd, lines('new', 0, total));
        }
        return st;
      }) as typeof fh.stat;
      await waitFor(() => raced, 5000, "the reader's next stat");
      await expectEveryNewLineOnce(sink, input, total);
    } finally {
      closeSync(fd);
      await s.cleanup();
    }
  });

  it('parked at a partial last line, truncated and written again between the continuity check and the read', async () => {
    const s = await setup();
    const fd = openSync(s.file, 'a');
    // The read that checks the last bytes (32 at the end of what was read) is where the writer acts: the check
    // sees the old bytes, the read from the acknowledged offset (before the partial line) finds new data.
    const probe = await open(s.file, 'r');
    const proto = Object.getPrototypeOf(probe) as { read: (...a: unknown[]) => Promise<unknown> };
    await probe.close();
    const read = proto.read;
    try {
      const partial = `line-2000 ${'x'.repeat(20)}`; // no line end: the reader parks before it
      const first = lines('line', 0, 2_000) + partial;
      const end = first.length;
      const { sink, input, ctx } = await startAfter(s, fd, first);
      await waitFor(() => [...ctx.tails.values()].every((t) => !t.handler), 10_000, 'the reader parked');
      const total = 4_000;
      let raced = false;
      proto.read = async function (this: unknown, ...args: unknown[]) {
        const r = await read.apply(this, args);
        if (!raced && args[2] === 32 && args[3] === end - 32) {
          raced = true;
          ftruncateSync(fd, 4096);
          writeSync(fd, lines('new', 0, total));
        }
        return r;
      };
      writeSync(fd, '\r\n'); // the partial line completed: the size changed, the reader looks
      await waitFor(() => raced, 5000, 'the continuity check');
      await expectEveryNewLineOnce(sink, input, total);
    } finally {
      proto.read = read;
      closeSync(fd);
      await s.cleanup();
    }
  });

  it('truncated while casguard was stopped: corrected once with one warning, then the data is read', async () => {
    const s = await setup();
    const fd = openSync(s.file, 'a');
    try {
      writeSync(fd, lines('line', 0, 2_000)); // ~94 KiB
      const sink1 = new FakeSink();
      const first = await s.start(sink1);
      await waitFor(() => sink1.docs.length >= 2_000, 15000, 'the first run');
      await first.input.stop();
      await first.registry.close();
      ftruncateSync(fd, 4096);
      const total = 300; // stays far below the checkpoint's offset
      writeSync(fd, lines('new', 0, total));
      const sink2 = new FakeSink();
      const second = await s.start(sink2);
      await waitFor(() => newLineCounts(sink2, total).missing.length === 0, 10000, 'every new line').catch(
        () => undefined,
      );
      await sleep(1500); // 30 polls: a loop would log again and again
      await second.input.stop();
      await second.registry.close();
      const { missing, twice } = newLineCounts(sink2, total);
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} new lines never read`);
      assert.deepEqual(twice, []);
      assert.deepEqual(midLine(sink2), []);
      assert.equal(events(s.log, 'checkpoint_beyond_end'), 1, 'one warning');
      assert.equal(events(s.log, 'file_truncated'), 0, 'no truncation loop');
      // The new lines have ids of their own: none is the id of an old line at the same offset.
      const oldIds = new Set(sink1.docs.map((d) => d.id));
      assert.equal(sink2.docs.filter((d) => oldIds.has(d.id)).length, 0);
      // A restart resumes where the corrected checkpoint is: nothing again.
      const sink3 = new FakeSink();
      const third = await s.start(sink3);
      await sleep(800);
      await third.input.stop();
      assert.equal(sink3.docs.length, 0);
      assert.equal(events(s.log, 'checkpoint_beyond_end'), 1);
    } finally {
      closeSync(fd);
      await s.cleanup();
    }
  });
});
