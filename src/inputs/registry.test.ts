import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { recordingLogger } from '../telemetry/logger.types.js';
import { Registry, type Checkpoint } from './registry.js';

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
  const dir = await mkdtemp(path.join(tmpdir(), 'casguard-registry-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('Registry', () => {
  it('round-trips checkpoints and extras, keeping the previous copy', async () => {
    await withDir(async (dir) => {
      const r = await Registry.open(dir, recordingLogger());
      r.put(cp(10));
      r.setExtra('detect', { windows: [1, 2] });
      await r.flush();
      r.put(cp(20));
      await r.close();
      const files = await readdir(path.join(dir, 'registry'));
      assert.deepEqual(files.sort(), ['registry.json', 'registry.json.prev']);
      const again = await Registry.open(dir, recordingLogger());
      assert.equal(again.get('iis', 'f1')?.offset, 20);
      assert.deepEqual(again.getExtra('detect'), { windows: [1, 2] });
      const prev = JSON.parse(await readFile(path.join(dir, 'registry', 'registry.json.prev'), 'utf8'));
      assert.equal(prev.files[0].offset, 10);
    });
  });

  it('recovers from a corrupt registry with the previous good copy, reports it and keeps the bad file', async () => {
    await withDir(async (dir) => {
      const r = await Registry.open(dir, recordingLogger());
      r.put(cp(10));
      await r.flush();
      r.put(cp(20));
      await r.flush();
      // A power cut left NUL bytes (beats#3537).
      await writeFile(path.join(dir, 'registry', 'registry.json'), Buffer.alloc(64));
      const log = recordingLogger();
      const again = await Registry.open(dir, log);
      assert.equal(again.get('iis', 'f1')?.offset, 10);
      const ev = log.lines.find((l) => l.meta['event'] === 'registry_corrupt');
      assert.ok(ev, 'registry_corrupt reported');
      assert.equal(ev.level, 'error');
      assert.match(String(ev.meta['recoveredFrom']), /registry\.json\.prev$/);
      const files = await readdir(path.join(dir, 'registry'));
      assert.ok(files.some((f) => f.startsWith('registry.json.corrupt-')));
      // The recovered state is written back as the new current file.
      await again.flush();
      const cur = JSON.parse(await readFile(path.join(dir, 'registry', 'registry.json'), 'utf8'));
      assert.equal(cur.files[0].offset, 10);
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
      r.put(cp(30));
      await r.flush();
      r.put(cp(40));
      await r.flush();
      await rm(path.join(dir, 'registry', 'registry.json'));
      await writeFile(path.join(dir, 'registry', 'registry.json.tmp'), '{"half');
      const again = await Registry.open(dir, recordingLogger());
      assert.equal(again.get('iis', 'f1')?.offset, 30);
    });
  });
});
