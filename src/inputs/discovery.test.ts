import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Discovery, escapeBadUtf8 } from './discovery.js';
import { fsPath } from './raw-path.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

describe('Discovery', () => {
  it('watches the static base of each pattern and matches files with globs and excludes', async () => {
    const root = tempDir('casguard-disc-');
    try {
      for (const d of ['W3SVC1', 'W3SVC2', 'other', 'W3SVC1/deep'])
        await mkdir(path.join(root, 'logs', d), { recursive: true });
      for (const f of [
        'W3SVC1/u_ex130919.log',
        'W3SVC2/u_ex130920.log',
        'W3SVC2/u_ex130920.log.tmp',
        'other/u_ex130919.log',
        'W3SVC1/deep/u_ex1.log',
        'W3SVC1/skip.log',
      ])
        await writeFile(path.join(root, 'logs', f), 'x');
      const d = new Discovery({
        patterns: ['logs/W3SVC*/u_ex*.log'],
        exclude: ['*.tmp'],
        baseDir: root,
        usePolling: false,
        pollIntervalMs: 100,
        onHint: () => undefined,
        onError: (e) => assert.fail(e),
      });
      assert.deepEqual(d.baseDirs, [path.join(root, 'logs')]);
      const found = (await d.scan()).map((f) => path.relative(root, f)).sort();
      assert.deepEqual(found, [
        path.join('logs', 'W3SVC1', 'u_ex130919.log'),
        path.join('logs', 'W3SVC2', 'u_ex130920.log'),
      ]);
      const all = new Discovery({
        patterns: [path.join(root, 'logs/**/*.log')],
        exclude: [path.join(root, 'logs/other/**')],
        baseDir: '/',
        usePolling: false,
        pollIntervalMs: 100,
        onHint: () => undefined,
        onError: (e) => assert.fail(e),
      });
      assert.equal((await all.scan()).length, 4);
      const nocase = new Discovery({
        patterns: ['logs/W3SVC1/*.LOG'],
        exclude: [],
        baseDir: root,
        usePolling: false,
        pollIntervalMs: 100,
        caseInsensitive: true,
        onHint: () => undefined,
        onError: (e) => assert.fail(e),
      });
      assert.equal((await nocase.scan()).length, 2, 'Windows-style case-insensitive match');
      assert.ok(
        !all.matches(path.join(root, 'logs/other/u_ex130919.log')),
        "!all.matches(path.join(root, 'logs/other/u_ex130919.log'))",
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('reports new files through chokidar hints', async () => {
    const root = tempDir('casguard-disc-');
    const hints: string[] = [];
    const d = new Discovery({
      patterns: ['*.log'],
      exclude: [],
      baseDir: root,
      usePolling: false,
      pollIntervalMs: 100,
      onHint: (f) => hints.push(f),
      onError: () => undefined,
    });
    try {
      d.start();
      await new Promise((r) => setTimeout(r, 300));
      await writeFile(path.join(root, 'new.log'), 'x\n');
      await writeFile(path.join(root, 'new.txt'), 'x\n');
      const deadline = Date.now() + 5000;
      while (!hints.includes(path.join(root, 'new.log')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      assert.ok(hints.includes(path.join(root, 'new.log')), "hints.includes(path.join(root, 'new.log'))");
      assert.ok(!hints.some((h) => h.endsWith('.txt')), "!hints.some((h) => h.endsWith('.txt'))");
    } finally {
      await d.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('hints files in the folders of the tree at start (given to chokidar one by one) and in folders made later', async () => {
    const root = tempDir('casguard-disc-tree-');
    const hints = new Set<string>();
    for (const d of ['W3SVC1', 'W3SVC2', path.join('W3SVC2', 'deep')]) await mkdir(path.join(root, d));
    const d = new Discovery({
      patterns: ['**/*.log'],
      exclude: [],
      baseDir: root,
      usePolling: false,
      pollIntervalMs: 100,
      onHint: (f) => hints.add(f),
      onError: () => undefined,
    });
    const seen = async (file: string): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (!hints.has(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(hints.has(file), `hinted: ${path.relative(root, file)}`);
    };
    try {
      d.start();
      await d.scan(); // as the input does: the walk hands chokidar the folders it finds
      await new Promise((r) => setTimeout(r, 300));
      for (const f of ['W3SVC1/a.log', 'W3SVC2/deep/b.log']) {
        await writeFile(path.join(root, f), 'x\n');
        await seen(path.join(root, f));
      }
      await mkdir(path.join(root, 'W3SVC3'));
      await new Promise((r) => setTimeout(r, 300));
      await writeFile(path.join(root, 'W3SVC3', 'c.log'), 'x\n');
      await seen(path.join(root, 'W3SVC3', 'c.log'));
    } finally {
      await d.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('follows directory symlinks once per real directory: a 3-loop symlink tree is walked once', async () => {
    const root = tempDir('casguard-disc-loop-');
    const outside = tempDir('casguard-disc-outside-');
    try {
      const logs = path.join(root, 'logs');
      for (const d of ['a', 'b', 'c']) {
        await mkdir(path.join(logs, d), { recursive: true });
        await writeFile(path.join(logs, d, `${d}.log`), 'x\n');
      }
      // Three loops: a → b → c → a, each folder to its parent, and the root to itself.
      await symlink('../b', path.join(logs, 'a', 'to-b'));
      await symlink('../c', path.join(logs, 'b', 'to-c'));
      await symlink('../a', path.join(logs, 'c', 'to-a'));
      for (const d of ['a', 'b', 'c']) await symlink('..', path.join(logs, d, 'up'));
      await symlink('.', path.join(logs, 'self'));
      // A link to a folder elsewhere is followed (its files are found under the link's path).
      await writeFile(path.join(outside, 'elsewhere.log'), 'x\n');
      await symlink(outside, path.join(logs, 'linked'));
      const d = new Discovery({
        patterns: [path.join(logs, '**/*.log')],
        exclude: [],
        baseDir: root,
        usePolling: false,
        pollIntervalMs: 100,
        onHint: () => undefined,
        onError: (e) => assert.fail(e),
      });
      const found = (await d.scan()).map((f) => path.relative(logs, f)).sort();
      assert.deepEqual(found, [
        path.join('a', 'a.log'),
        path.join('b', 'b.log'),
        path.join('c', 'c.log'),
        path.join('linked', 'elsewhere.log'),
      ]);
      assert.ok(d.linkedAgain >= 7, `loops cut: ${d.linkedAgain}`);
    } finally {
      await rm(root, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('finds a matching file whose name is not valid UTF-8 by its bytes, and reports it', async () => {
    const root = tempDir('casguard-disc-name-');
    try {
      const bad = Buffer.concat([
        Buffer.from(`${root}/u_ex-`),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('é.log'),
      ]);
      writeFileSync(bad, 'x\n');
      await writeFile(path.join(root, 'good.log'), 'x\n');
      const badNames: string[] = [];
      const d = new Discovery({
        patterns: [path.join(root, '*.log')],
        exclude: [],
        baseDir: root,
        usePolling: false,
        pollIntervalMs: 100,
        onHint: () => undefined,
        onError: (e) => assert.fail(e),
        onBadName: (f) => badNames.push(f),
      });
      const found = (await d.scan()).sort();
      const escaped = path.join(root, 'u_ex-\udcff\udcfeé.log');
      assert.deepEqual(found, [path.join(root, 'good.log'), escaped]);
      assert.deepEqual(fsPath(escaped), bad, 'the path names the file by its bytes');
      assert.deepEqual(badNames, [escaped]);
      assert.equal(escapeBadUtf8(Buffer.from([0x75, 0xff, 0xfe, 0xc3, 0xa9])), 'u\\xff\\xfeé');
      assert.equal(escapeBadUtf8(Buffer.from('plain-é.log')), 'plain-é.log');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
