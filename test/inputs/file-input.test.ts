import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileInput, readCheckpoints } from '../../src/inputs/index.js';
import { inputMetrics } from '../../src/telemetry/input-events.js';
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

async function setup(
  over: Record<string, unknown> = {},
  framing: Parameters<typeof testHandlers>[0] = 'lines',
) {
  const tmp = await tempDir();
  const logs = path.join(tmp.dir, 'logs');
  const data = path.join(tmp.dir, 'data');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(logs, { recursive: true });
  const registry = await openRegistry(data, nullLogger);
  const sink = new FakeSink();
  const deadLetters = new MemoryDeadLetters();
  const make = (reg = registry) =>
    new FileInput(inputConfig({ paths: [path.join(logs, '**/*.log')], ...over }), {
      baseDir: tmp.dir,
      handlerFactory: testHandlers(framing),
      sink,
      deadLetters,
      registry: reg,
      logger: nullLogger,
    });
  return { ...tmp, logs, data, registry, sink, deadLetters, make };
}

describe('FileInput', () => {
  it('tails a file from the start, follows appends, and commits offsets to the registry', async () => {
    const s = await setup();
    try {
      const f = path.join(s.logs, 'a.log');
      await writeFile(f, '#Fields: a b\r\none\r\ntwo\r\n');
      const input = s.make();
      await input.start();
      await waitFor(() => s.sink.docs.length === 3, 5000, 'first lines');
      await appendFile(f, 'three\r\npartial');
      await waitFor(() => s.sink.docs.length === 4, 5000, 'appended line');
      await input.stop();
      assert.deepEqual(
        s.sink.docs.map((d) => [d.text, d.offset, d.path]),
        [
          ['#Fields: a b', 0, f],
          ['one', 14, f],
          ['two', 19, f],
          ['three', 24, f],
        ],
      );
      const reg = JSON.parse(await readFile(path.join(s.data, 'registry', 'registry.json'), 'utf8'));
      assert.equal(reg.version, 1);
      const files = await readCheckpoints(path.join(s.data, 'registry'));
      assert.equal(files.length, 1);
      assert.equal(files[0]!.offset, 31);
      assert.equal(files[0]!.parserState, '#Fields: a b');
    } finally {
      await s.cleanup();
    }
  });

  it('resumes after a restart without re-sending, and restores the parser state', async () => {
    const s = await setup();
    try {
      const f = path.join(s.logs, 'a.log');
      await writeFile(f, '#Fields: x\none\n');
      let input = s.make();
      await input.start();
      await waitFor(() => s.sink.docs.length === 2);
      await input.stop();
      await appendFile(f, 'two\n');
      const reg2 = await openRegistry(s.data, nullLogger);
      input = s.make(reg2);
      await input.start();
      await waitFor(() => s.sink.docs.length === 3);
      await input.stop();
      assert.deepEqual(
        s.sink.docs.map((d) => d.text),
        ['#Fields: x', 'one', 'two'],
      );
    } finally {
      await s.cleanup();
    }
  });

  it('dead-letters parse failures with file and offset, and skips files no format recognises', async () => {
    const s = await setup();
    try {
      await writeFile(path.join(s.logs, 'a.log'), 'ok\nBAD one\nok2\n');
      await writeFile(path.join(s.logs, 'b.log'), 'SKIP me\n');
      const input = s.make();
      const summary = await input.runOnce();
      assert.deepEqual(
        s.sink.docs.map((d) => d.text),
        ['ok', 'ok2'],
      );
      assert.equal(s.deadLetters.letters.length, 1);
      assert.equal(s.deadLetters.letters[0]!.offset, 3);
      assert.deepEqual(summary.skipped, [path.join(s.logs, 'b.log')]);
      assert.equal(summary.records, 3);
      assert.equal(summary.documents, 2);
    } finally {
      await s.cleanup();
    }
  });

  it('replays a file to the end, including a last line without a line end', async () => {
    const s = await setup();
    try {
      const f = path.join(s.logs, 'a.log');
      await writeFile(f, 'one\ntwo');
      const summary = await s.make().runOnce([f]);
      assert.deepEqual(
        s.sink.docs.map((d) => d.text),
        ['one', 'two'],
      );
      assert.equal(summary.files, 1);
    } finally {
      await s.cleanup();
    }
  });

  it('reads many growing files through a limit of two open handles', async () => {
    const s = await setup({ maxOpenFiles: 2 });
    try {
      const files = Array.from({ length: 12 }, (_, i) => path.join(s.logs, `f${i}.log`));
      // Different content per file: identical files would be one identity, read once (by design).
      for (const f of files) await writeFile(f, `first of ${path.basename(f)}\n`);
      const input = s.make();
      await input.start();
      await waitFor(() => s.sink.docs.length === 12, 10000, 'first lines');
      for (const f of files) await appendFile(f, 'second\n');
      await waitFor(() => s.sink.docs.length === 24, 10000, 'second lines');
      const gauge = await inputMetrics.openFiles().get();
      const open = gauge.values.find((v) => v.labels['input'] === 'test')?.value ?? 0;
      assert.ok(open <= 2, `open handles ${open}`);
      await input.stop();
      for (const f of files) {
        assert.deepEqual(
          s.sink.docs.filter((d) => d.path === f).map((d) => d.text),
          [`first of ${path.basename(f)}`, 'second'],
        );
      }
    } finally {
      await s.cleanup();
    }
  });

  it('forgets checkpoints of files gone from disk for longer than forgetAfterMs, keeps the others', async () => {
    const s = await setup({ forgetAfterMs: 60000 });
    try {
      const old = new Date(Date.now() - 120000).toISOString();
      const base = { inputId: 'test', matchLen: 4, path: '/gone/file.log', offset: 4, updatedAt: old };
      s.registry.put({ ...base, fingerprint: 'gone-old', matchHash: 'gone-old' });
      s.registry.put({
        ...base,
        fingerprint: 'gone-recent',
        matchHash: 'gone-recent',
        updatedAt: new Date().toISOString(),
      });
      await writeFile(path.join(s.logs, 'here.log'), 'present\n');
      const input = s.make();
      await input.start();
      await waitFor(() => s.sink.docs.length === 1, 5000, 'present file');
      await waitFor(() => s.registry.get('test', 'gone-old') === undefined, 5000, 'old checkpoint forgotten');
      await input.stop();
      assert.ok(s.registry.get('test', 'gone-recent'), 'recent checkpoint kept');
      assert.equal(s.registry.entries('test').length, 2);
    } finally {
      await s.cleanup();
    }
  });

  it('tails a UTF-16LE file (PowerShell Out-File) as it grows, with byte offsets in UTF-16', async () => {
    const s = await setup();
    try {
      const f = path.join(s.logs, 'out.log');
      await writeFile(
        f,
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Zürich one\r\n', 'utf16le')]),
      );
      const input = s.make();
      await input.start();
      await waitFor(() => s.sink.docs.length === 1, 5000, 'first line');
      await appendFile(f, Buffer.from('two €\r\nthree', 'utf16le'));
      await waitFor(() => s.sink.docs.length === 2, 5000, 'second line');
      await input.stop();
      assert.deepEqual(
        s.sink.docs.map((d) => [d.text, d.offset]),
        [
          ['Zürich one', 2],
          ['two €', 26],
        ],
      );
    } finally {
      await s.cleanup();
    }
  });

  it('startAt end begins after the last complete line of a file seen for the first time', async () => {
    const s = await setup({ startAt: 'end' });
    try {
      const f = path.join(s.logs, 'live.log');
      await writeFile(f, 'old one\nold two\nhalf wri');
      const input = s.make();
      await input.start();
      await sleep(300);
      await appendFile(f, 'tten\nnew\n');
      await writeFile(path.join(s.logs, 'created-later.log'), 'first line of a new file\n');
      await waitFor(() => s.sink.docs.length === 3, 5000, 'new lines');
      await input.stop();
      assert.deepEqual(s.sink.docs.map((d) => d.text).sort(), [
        'first line of a new file',
        'half written',
        'new',
      ]);
    } finally {
      await s.cleanup();
    }
  });

  it('without a watcher (watch: false) new files are still found by the rescan', async () => {
    const s = await setup({ watch: false, rescanIntervalMs: 150 });
    try {
      const input = s.make();
      await input.start();
      await sleep(100);
      await writeFile(path.join(s.logs, 'late.log'), 'found by rescan\n');
      await waitFor(() => s.sink.docs.length === 1, 5000, 'rescan');
      await input.stop();
      assert.equal(s.sink.docs[0]!.text, 'found by rescan');
    } finally {
      await s.cleanup();
    }
  });
});
