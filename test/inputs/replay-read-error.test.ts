// A replay on one thread (the default) whose file cannot be read past some byte: a disk or share that answers
// EIO from there on, every time. The replay must end, name the file, the byte reached and the error in its summary
// (as the worker threads' path does: replay-stopped.test.ts), keep what it read before, and not try again and again:
// it used to close the file, log "retrying later" and read again at once, forever (the replay never ended).
//
// Stand-in: a real read error cannot be caused on purpose here (no device-mapper `error` target on this machine's
// kernel), so `open` of node:fs/promises (what the input uses) is wrapped for this one file, as a disk with a bad
// block at byte FAIL_AT: a read over it returns the bytes before it (a short read, as read(2) does), a read from it
// throws the error Node throws for EIO (errno -5, code 'EIO', syscall 'read'). Every other call is the real one.
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileInput } from '../../src/inputs/index.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';
import { FakeSink, MemoryDeadLetters, inputConfig, openRegistry, tempDir, testHandlers } from './helpers.js';

/** Where the bad block begins (past the first reads of 16 and 256 KiB). */
const FAIL_AT = 256 * 1024;

function eio(): Error {
  return Object.assign(new Error('EIO: i/o error, read'), { errno: -5, code: 'EIO', syscall: 'read' });
}

describe('a replay on one thread whose file fails to be read past a byte', () => {
  const realOpen = fsp.open;
  let failing = '';
  let reads = 0;
  before(() => {
    fsp.open = (async (file: Parameters<typeof realOpen>[0], ...rest: unknown[]): Promise<FileHandle> => {
      const fh = await (realOpen as (...a: unknown[]) => Promise<FileHandle>)(file, ...rest);
      if (String(file) !== failing) return fh;
      const read = fh.read.bind(fh) as (...a: unknown[]) => Promise<unknown>;
      (fh as { read: unknown }).read = async (...a: unknown[]): Promise<unknown> => {
        reads += 1;
        const [buffer, offset, length, position] = a as [Buffer, number, number, number];
        if (position >= FAIL_AT) throw eio();
        // As read(2) over a bad block: the bytes before it (a short read), then EIO.
        return read(buffer, offset, Math.min(length, FAIL_AT - position), position);
      };
      return fh;
    }) as typeof realOpen;
    syncBuiltinESMExports();
  });
  after(() => {
    fsp.open = realOpen;
    syncBuiltinESMExports();
  });

  it('ends, names the file, the byte reached and the error, and keeps what it read', async () => {
    const tmp = await tempDir('casguard-replay-read-error-');
    try {
      const logs = path.join(tmp.dir, 'logs');
      await mkdir(logs);
      const file = path.join(logs, 'a.log');
      // 40,000 lines of 16 bytes: 640,000 bytes, past FAIL_AT.
      await writeFile(
        file,
        Array.from({ length: 40_000 }, (_, i) => `line-${String(i).padStart(10, '0')}\n`).join(''),
      );
      failing = file;
      const log = recordingLogger();
      const registry = await openRegistry(path.join(tmp.dir, 'data'));
      const sink = new FakeSink();
      const input = new FileInput(inputConfig({ paths: [path.join(logs, '*.log')], watch: false }), {
        baseDir: tmp.dir,
        handlerFactory: testHandlers('lines'),
        sink,
        deadLetters: new MemoryDeadLetters(),
        registry,
        logger: log,
      });
      let timer: NodeJS.Timeout | undefined;
      const summary = await Promise.race([
        input.runOnce([file]),
        new Promise<never>(
          (_, reject) =>
            (timer = setTimeout(
              () => reject(new Error(`the replay did not end in 30 s (${reads} reads of the failing file)`)),
              30_000,
            )),
        ),
      ]).finally(() => clearTimeout(timer));
      assert.deepEqual(summary.stopped, [{ path: file, offset: FAIL_AT, error: 'EIO: i/o error, read' }]);
      // The records whose line ends were in the bytes read: FAIL_AT / 16.
      assert.equal(sink.docs.length, FAIL_AT / 16);
      assert.equal(sink.docs.at(-1)?.text, `line-${String(FAIL_AT / 16 - 1).padStart(10, '0')}`);
      assert.ok(reads < 10, `the failing file was read ${reads} times`);
      // Said once, and not as something tried again.
      const said = log.lines.filter((l) => l.meta['event'] === 'file_read_error');
      assert.deepEqual(
        said.map((l) => l.message),
        ['Could not read file; the rest of it is not replayed.'],
      );
      await input.stop();
      await registry.close();
    } finally {
      failing = '';
      await tmp.cleanup();
    }
  });
});
