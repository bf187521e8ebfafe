// The temporary folders of test/helpers/temp-dir.ts are removed when the process that made them exits, and kept
// with CASGUARD_KEEP_TEST_TMP=1. Each case runs a small child node process that makes folders with the helper and
// writes a file in each, then looks for the folders once the child has exited.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const helper = pathToFileURL(path.join(import.meta.dirname, 'temp-dir.ts')).href;

/** Run a child that makes `count` folders, writes a file in each, prints their paths, and exits with `code`. */
function child(
  count: number,
  code: number,
  env: Record<string, string> = {},
): { dirs: string[]; status: number } {
  const script = [
    `import { writeFileSync } from 'node:fs';`,
    `import path from 'node:path';`,
    `import { tempDir } from ${JSON.stringify(helper)};`,
    `const dirs = [];`,
    `for (let i = 0; i < ${count}; i++) {`,
    `  const dir = tempDir('cg-tempdir-test-');`,
    `  writeFileSync(path.join(dir, 'file.txt'), 'written by the child');`,
    `  dirs.push(dir);`,
    `}`,
    `console.log(JSON.stringify(dirs));`,
    code === 0 ? '' : `process.exit(${code});`,
  ].join('\n');
  const { CASGUARD_KEEP_TEST_TMP: _keep, ...inherited } = process.env;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...inherited, ...env },
    timeout: 60_000,
  });
  assert.equal(r.error, undefined, `the child ran: ${String(r.error)}`);
  assert.equal(r.stderr.trim(), '', 'the child printed no error (nothing thrown at exit)');
  const dirs = JSON.parse(r.stdout.trim()) as string[];
  assert.equal(dirs.length, count, r.stdout);
  for (const d of dirs)
    assert.equal(path.dirname(d), path.resolve(tmpdir()), `${d} is directly under os.tmpdir()`);
  return { dirs, status: r.status ?? -1 };
}

describe('tempDir', () => {
  it('removes the folder and what was written in it when the process exits', () => {
    const { dirs, status } = child(1, 0);
    assert.equal(status, 0, 'the child exited 0');
    assert.equal(existsSync(dirs[0]!), false, `${dirs[0]} was removed at exit`);
  });

  it('removes every folder on process.exit and keeps the exit code', () => {
    const { dirs, status } = child(3, 7);
    assert.equal(status, 7, 'the exit code is the one the child gave');
    assert.equal(new Set(dirs).size, 3, 'three distinct folders');
    for (const d of dirs) assert.equal(existsSync(d), false, `${d} was removed at exit`);
  });

  it('keeps the folders with CASGUARD_KEEP_TEST_TMP=1', () => {
    const { dirs, status } = child(2, 0, { CASGUARD_KEEP_TEST_TMP: '1' });
    try {
      assert.equal(status, 0, 'the child exited 0');
      for (const d of dirs)
        assert.equal(readFileSync(path.join(d, 'file.txt'), 'utf8'), 'written by the child', `${d} was kept`);
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
