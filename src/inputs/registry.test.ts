import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { recordingLogger } from '../telemetry/logger.types.js';
import { Registry, readCheckpoints, type Checkpoint } from './registry.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const cp = (offset: number): Checkpoint => ({
  inputId: 'iis',
  fingerprint: 'f1',
  matchLen: 10,
  matchHash: 'f1',
  path: '/logs/u_ex.log',
  offset,
  updatedAt: '2026-01-01T00:00:00.000Z',
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir('casguard-registry-');
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('Registry', () => {
  it('round-trips checkpoints and extras; a flush appends the checkpoints that changed', async () => {
    await withDir(async (dir) => {
      const r = await Registry.open(dir, recordingLogger());
      r.put(cp(10));
      r.setExtra('detect', { windows: [1, 2] });
      await r.flush();
      r.put(cp(20));
      await r.close();
      const files = await readdir(path.join(dir, 'registry'));
      assert.deepEqual(files.sort(), ['checkpoints.base', 'checkpoints.journal', 'registry.json']);
      const base = await readFile(path.join(dir, 'registry', 'checkpoints.base'), 'utf8');
      const journal = await readFile(path.join(dir, 'registry', 'checkpoints.journal'), 'utf8');
      assert.match(base, /"offset":10/);
      assert.match(journal, /"offset":20/);
      const again = await Registry.open(dir, recordingLogger());
      assert.equal(again.get('iis', 'f1')?.offset, 20);
      assert.deepEqual(again.getExtra('detect'), { windows: [1, 2] });
      assert.deepEqual(await readCheckpoints(path.join(dir, 'registry')), [cp(20)]);
    });
  });

  it('writes one changed checkpoint of 5,000 as a journal line, not the whole registry', async () => {
    await withDir(async (dir) => {
      const r = await Registry.open(dir, recordingLogger());
      const many = Array.from({ length: 5000 }, (_, i) => ({
        ...cp(i),
        fingerprint: `f${i}`,
        matchHash: `f${i}`,
      }));
      for (const c of many) r.put(c);
      await r.flush();
      const full = r.bytesWritten;
      assert.ok(full > 5000 * 150, `the first write holds every checkpoint (${full} bytes)`);
      many[42]!.offset = 4242;
      r.touch(many[42]);
      await r.flush();
      const one = r.bytesWritten - full;
      assert.ok(one < 400, `one checkpoint written in ${one} bytes`);
      r.remove('iis', 'f7');
      await r.close();
      const again = await Registry.open(dir, recordingLogger());
      assert.equal(again.entries('iis').length, 4999);
      assert.equal(again.get('iis', 'f42')?.offset, 4242);
      assert.equal(again.get('iis', 'f7'), undefined);
    });
  });

  it('takes over the checkpoints of a registry.json written by an older version', async () => {
    await withDir(async (dir) => {
      await mkdir(path.join(dir, 'registry'));
      const old = { version: 1, writtenAt: '2026-01-01T00:00:00.000Z', files: [cp(77)], extras: { a: 1 } };
      await writeFile(path.join(dir, 'registry', 'registry.json'), JSON.stringify(old));
      const r = await Registry.open(dir, recordingLogger());
      assert.equal(r.get('iis', 'f1')?.offset, 77);
      await r.close();
      const cur = JSON.parse(await readFile(path.join(dir, 'registry', 'registry.json'), 'utf8'));
      assert.deepEqual(cur.files, []);
      assert.deepEqual(cur.extras, { a: 1 });
      const again = await Registry.open(dir, recordingLogger());
      assert.equal(again.get('iis', 'f1')?.offset, 77);
    });
  });

  it('recovers extras from the previous copy of a corrupt registry.json, reports it and keeps the bad file', async () => {
    await withDir(async (dir) => {
      const r = await Registry.open(dir, recordingLogger());
      r.put(cp(10));
      r.setExtra('x', 1);
      await r.flush();
      r.setExtra('x', 2);
      await r.flush();
      // A power cut left NUL bytes (beats#3537).
      await writeFile(path.join(dir, 'registry', 'registry.json'), Buffer.alloc(64));
      const log = recordingLogger();
      const again = await Registry.open(dir, log);
      assert.equal(again.getExtra('x'), 1);
      assert.equal(again.get('iis', 'f1')?.offset, 10, 'the checkpoints are in their own files');
      const ev = log.lines.find((l) => l.meta['event'] === 'registry_corrupt');
      assert.ok(ev, 'registry_corrupt reported');
      assert.equal(ev.level, 'error');
      assert.match(String(ev.meta['recoveredFrom']), /registry\.json\.prev$/);
      const files = await readdir(path.join(dir, 'registry'));
      assert.ok(
        files.some((f) => f.startsWith('registry.json.corrupt-')),
        "files.some((f) => f.startsWith('registry.json.corrupt-'))",
      );
      await again.flush();
      const cur = JSON.parse(await readFile(path.join(dir, 'registry', 'registry.json'), 'utf8'));
      assert.equal(cur.extras.x, 1);
    });
  });

  it('sets a corrupt checkpoint base aside, reports it and starts without checkpoints, without throwing', async () => {
    await withDir(async (dir) => {
      const r = await Registry.open(dir, recordingLogger());
      r.put(cp(10));
      await r.close();
      await writeFile(path.join(dir, 'registry', 'checkpoints.base'), Buffer.alloc(64));
      const log = recordingLogger();
      const again = await Registry.open(dir, log);
      assert.deepEqual(again.entries('iis'), []);
      assert.equal(log.lines.filter((l) => l.meta['event'] === 'registry_corrupt').length, 1);
      const files = await readdir(path.join(dir, 'registry'));
      assert.ok(
        files.some((f) => f.startsWith('checkpoints.base.corrupt-')),
        "files.some((f) => f.startsWith('checkpoints.base.corrupt-'))",
      );
    });
  });

  it('starts empty when both copies are unreadable or of an unknown shape, without throwing', async () => {
    await withDir(async (dir) => {
      await mkdir(path.join(dir, 'registry'));
      await writeFile(path.join(dir, 'registry', 'registry.json'), '{"version": 99, "files": []}');
      await writeFile(path.join(dir, 'registry', 'registry.json.prev'), '{"version":1,"files":[{"x":1}');
      const log = recordingLogger();
      const r = await Registry.open(dir, log);
      assert.deepEqual(r.entries('iis'), []);
      assert.equal(log.lines.filter((l) => l.meta['event'] === 'registry_corrupt').length, 1);
      assert.equal(log.lines[0]!.meta['recoveredFrom'], 'empty registry');
    });
  });

  it('uses the previous copy when a crash fell between the two renames', async () => {
    await withDir(async (dir) => {
      const r = await Registry.open(dir, recordingLogger());
      r.setExtra('x', 30);
      await r.flush();
      r.setExtra('x', 40);
      await r.flush();
      await rm(path.join(dir, 'registry', 'registry.json'));
      await writeFile(path.join(dir, 'registry', 'registry.json.tmp'), '{"half');
      const again = await Registry.open(dir, recordingLogger());
      assert.equal(again.getExtra('x'), 30);
    });
  });
});
