import assert from 'node:assert/strict';
import { appendFile, copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { StateJournal } from './state-journal.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir('casguard-state-journal-');
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const value = (i: number, v: number): unknown => [v, 1379599331000 + i, [i, 1]];
const entry = (i: number, v = 0): [string, string] => [`0\u0000device-${i}`, JSON.stringify(value(i, v))];
const all = (n: number, v = 0): [string, string][] => Array.from({ length: n }, (_, i) => entry(i, v));

describe('StateJournal', () => {
  it('saves a full state, then only changes; reopening gives the state with every change applied', async () => {
    await withDir(async (dir) => {
      const { journal: j, load } = await StateJournal.open(dir, 'detect-state');
      assert.equal(load.entries.size, 0);
      assert.equal(j.needsFull, true);
      await assert.rejects(j.write({ full: false, set: [entry(1)], delete: [] }), /full write is needed/);
      const fullBytes = await j.write({ full: true, set: [['meta', '{"v":3}'], ...all(5000)], delete: [] });
      assert.equal(j.needsFull, false);
      const small = await j.write({
        full: false,
        set: [entry(7, 1), entry(9000, 1)],
        delete: ['0\u0000device-3'],
      });
      assert.ok(small < 300, `${small} bytes for three changes`);
      assert.ok(fullBytes > 100 * small, 'fullBytes > 100 * small');
      assert.equal(await j.write({ full: false, set: [], delete: [] }), 0);
      await j.write({ full: false, set: [entry(7, 2)], delete: [] });
      await j.close();
      const again = await StateJournal.open(dir, 'detect-state');
      const e = again.load.entries;
      assert.equal(e.size, 5001 + 1 - 1);
      assert.deepEqual(e.get('0\u0000device-7'), value(7, 2));
      assert.deepEqual(e.get('0\u0000device-9000'), value(9000, 1));
      assert.equal(e.has('0\u0000device-3'), false);
      assert.deepEqual(e.get('meta'), { v: 3 });
      assert.equal(again.load.problem, undefined);
      assert.equal(again.journal.bytes, await again.journal.sizeOnDisk());
      assert.equal(again.journal.needsFull, true, 'a reopened store starts with a full write');
    });
  });

  it('a batch torn by a crash is ignored; the batches before it are kept', async () => {
    await withDir(async (dir) => {
      const { journal: j } = await StateJournal.open(dir, 's');
      await j.write({ full: true, set: all(3), delete: [] });
      await j.write({ full: false, set: [entry(1, 1)], delete: [] });
      await j.close();
      // a second batch whose closing line never reached the disk, then a half line
      await appendFile(j.journalPath, `${JSON.stringify(['s', entry(2)[0], 'torn'])}\n["d","0\\u0000dev`);
      const { load } = await StateJournal.open(dir, 's');
      assert.deepEqual(load.entries.get(entry(1)[0]), value(1, 1));
      assert.deepEqual(load.entries.get(entry(2)[0]), value(2, 0));
    });
  });

  it('a journal older than the base (crash between writing the base and starting its journal) is ignored', async () => {
    await withDir(async (dir) => {
      const { journal: j } = await StateJournal.open(dir, 's');
      await j.write({ full: true, set: all(3), delete: [] });
      await j.write({ full: false, set: [entry(1, 1)], delete: [] });
      await copyFile(j.journalPath, path.join(dir, 'old-journal'));
      await j.write({ full: true, set: all(3, 5), delete: [] });
      await j.close();
      await copyFile(path.join(dir, 'old-journal'), j.journalPath);
      const { load } = await StateJournal.open(dir, 's');
      assert.deepEqual(load.entries.get(entry(1)[0]), value(1, 5));
    });
  });

  it('asks for a full write once the journal outgrows the base, which then starts a new journal', async () => {
    await withDir(async (dir) => {
      const { journal: j } = await StateJournal.open(dir, 's', { minCompactBytes: 1000 });
      await j.write({ full: true, set: all(20), delete: [] });
      let rounds = 0;
      while (!j.needsFull) {
        await j.write({ full: false, set: [entry(rounds % 20, rounds)], delete: [] });
        rounds++;
      }
      assert.ok(rounds > 5, 'rounds > 5');
      const before = j.bytes;
      await j.write({ full: true, set: all(20, 99), delete: [] });
      assert.ok(j.bytes < before, 'j.bytes < before');
      assert.equal(j.needsFull, false);
      await j.close();
      const { load } = await StateJournal.open(dir, 's');
      assert.deepEqual(load.entries.get(entry(4)[0]), value(4, 99));
    });
  });

  it('after a failed write the next write must be full, and a full write recovers', async () => {
    await withDir(async (dir) => {
      const { journal: j } = await StateJournal.open(dir, 's');
      await j.write({ full: true, set: all(3), delete: [] });
      await j.close(); // the handle is opened again at the next append
      await rm(j.journalPath);
      await mkdir(j.journalPath); // EISDIR at the next append
      await assert.rejects(j.write({ full: false, set: [entry(1, 1)], delete: [] }));
      assert.equal(j.needsFull, true);
      await assert.rejects(j.write({ full: false, set: [entry(1, 1)], delete: [] }), /full write/);
      await rm(j.journalPath, { recursive: true });
      await j.write({ full: true, set: all(3, 2), delete: [] });
      await j.write({ full: false, set: [entry(0, 3)], delete: [] });
      await j.close();
      const { load } = await StateJournal.open(dir, 's');
      assert.deepEqual(load.entries.get(entry(0)[0]), value(0, 3));
      assert.deepEqual(load.entries.get(entry(1)[0]), value(1, 2));
    });
  });

  it('an unreadable base is reported and set aside; the state starts empty', async () => {
    await withDir(async (dir) => {
      await writeFile(path.join(dir, 's.base'), '{"v":1,"gen":1,"entries":2}\n["a",1]\nnot json\n');
      const { load } = await StateJournal.open(dir, 's');
      assert.equal(load.entries.size, 0);
      assert.ok(load.problem, 'load.problem');
      assert.match(load.problem.error, /not a state base file/);
      assert.ok(
        (await readdir(dir)).some((f) => f.startsWith('s.base.corrupt-')),
        "(await readdir(dir)).some((f) => f.startsWith('s.base.corrupt-'))",
      );
      assert.equal(await readFile(load.problem.keptAs, 'utf8').then((t) => t.includes('not json')), true);
    });
  });
});
