// A file whose name is not valid UTF-8 (Linux allows any bytes) is read like any other: found by its bytes,
// opened by its bytes, its documents' log.file.path shown with U+FFFD for each bad byte (what Filebeat's JSON
// shows), its checkpoint kept under its exact name (the bytes escaped, stable across restarts), and reported once
// with a named event that shows the bad bytes as \xNN. Two names that differ only in their bad bytes are two files.

import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileInput } from '../../src/inputs/index.js';
import { fsPath } from '../../src/inputs/raw-path.js';
import { readCheckpoints } from '../../src/inputs/registry.js';
import { nullLogger, recordingLogger } from '../../src/telemetry/logger.types.js';
import {
  FakeSink,
  MemoryDeadLetters,
  duplicates,
  inputConfig,
  openRegistry,
  tempDir,
  testHandlers,
  waitFor,
} from './helpers.js';

describe('file names that are not valid UTF-8', () => {
  it('are read by their bytes, shown with U+FFFD in documents, reported once, and resumed after a restart', async () => {
    if (process.platform === 'win32') return; // NTFS names are UTF-16: no such names there
    const tmp = await tempDir('casguard-names-');
    try {
      const logs = path.join(tmp.dir, 'logs');
      await mkdir(logs);
      // u_ex\xe9.log (Latin-1 é) and u_ex\xe8.log (Latin-1 è): both decode to "u_ex\ufffd.log".
      const e9 = Buffer.concat([Buffer.from(`${logs}/u_ex`), Buffer.from([0xe9]), Buffer.from('.log')]);
      const e8 = Buffer.concat([Buffer.from(`${logs}/u_ex`), Buffer.from([0xe8]), Buffer.from('.log')]);
      writeFileSync(e9, 'e9-1\ne9-2\n');
      writeFileSync(e8, 'e8-1\n');
      await writeFile(path.join(logs, 'good.log'), 'good-1\n');
      assert.equal(readdirSync(logs).length, 3, 'three files on disk');
      const dataDir = path.join(tmp.dir, 'data');
      const start = async (log = recordingLogger()) => {
        const sink = new FakeSink();
        const input = new FileInput(inputConfig({ paths: [path.join(logs, '*.log')] }), {
          baseDir: tmp.dir,
          handlerFactory: testHandlers('lines'),
          sink,
          deadLetters: new MemoryDeadLetters(),
          registry: await openRegistry(dataDir, nullLogger),
          logger: log,
        });
        await input.start();
        return { input, sink, log };
      };

      const first = await start();
      await waitFor(() => first.sink.docs.length >= 4, 5000, 'all four lines');
      await new Promise((r) => setTimeout(r, 1000)); // five rescans: still one report per file
      await first.input.stop();
      const shown = path.join(logs, 'u_ex\ufffd.log');
      assert.deepEqual(
        first.sink.docs.map((d) => `${d.path === shown ? 'bad' : path.basename(d.path)}:${d.text}`).sort(),
        ['bad:e8-1', 'bad:e9-1', 'bad:e9-2', 'good.log:good-1'],
      );
      const reports = first.log.lines.filter((l) => l.meta['event'] === 'file_name_not_utf8');
      assert.deepEqual(reports.map((r) => r.meta['path']).sort(), [
        path.join(logs, 'u_ex\\xe8.log'),
        path.join(logs, 'u_ex\\xe9.log'),
      ]);
      assert.ok(
        reports.every((r) => r.level === 'warn'),
        "reports.every((r) => r.level === 'warn')",
      );
      // Opened and read: no read error, nothing reported unreadable.
      assert.deepEqual(
        first.log.lines.filter((l) => l.level === 'error' || l.meta['event'] === 'file_read_error'),
        [],
      );

      // The checkpoints name each file by its exact bytes.
      const cps = await readCheckpoints(path.join(dataDir, 'registry'));
      const byBytes = new Map(cps.map((cp) => [Buffer.from(fsPath(cp.path)).toString('hex'), cp]));
      assert.equal(byBytes.get(e9.toString('hex'))?.offset, 10);
      assert.equal(byBytes.get(e8.toString('hex'))?.offset, 5);

      // Restart: what was read is not read again; what was appended is.
      appendFileSync(e9, 'e9-3\n');
      appendFileSync(e8, 'e8-2\n');
      const second = await start();
      await waitFor(() => second.sink.docs.length >= 2, 5000, 'the appended lines');
      await new Promise((r) => setTimeout(r, 500));
      await second.input.stop();
      assert.deepEqual(second.sink.docs.map((d) => d.text).sort(), ['e8-2', 'e9-3']);
      assert.deepEqual(duplicates([...first.sink.docs, ...second.sink.docs]), []);
    } finally {
      await tmp.cleanup();
    }
  });
});
