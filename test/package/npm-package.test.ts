// What the npm package (`npm pack`) contains: the compiled agent, its config, samples and service files, the
// licence; no sources, tests, scripts, benches, CI files, release archives or source maps (they would point at
// src/, which is not shipped); and no stale compiled file whose source is gone (tsc never cleans dist/).
// Needs dist/ (npm test builds before the tests run); skips and says so without it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';

const REPO = path.resolve(import.meta.dirname, '..', '..');

interface PackResult {
  files: Array<{ path: string; size: number }>;
  unpackedSize: number;
  entryCount: number;
}

it('npm pack ships the built agent and its files, nothing else', (t) => {
  if (!existsSync(path.join(REPO, 'dist', 'cli', 'main.js')))
    return t.skip('no dist/: run npm run build first');
  const r = spawnSync(
    process.platform === 'win32' ? 'npm.cmd' : 'npm',
    ['pack', '--dry-run', '--json', '--ignore-scripts'],
    {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const pack = (JSON.parse(r.stdout) as PackResult[])[0]!;
  const files = pack.files.map((f) => f.path).sort();

  for (const must of [
    'package.json',
    'README.md',
    'LICENSE',
    'dist/cli/main.js',
    'config/casguard.example.yml',
    'samples/u_ex130919.log',
    'service/windows/install.ps1',
    'service/windows/casguard-service.xml',
    'service/windows/winsw.lock.json',
    'service/linux/casguard.service',
  ]) {
    assert.ok(files.includes(must), `${must} is not in the npm package`);
  }
  const allowed =
    /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/.+\.js|config\/.+|samples\/.+|service\/(windows|linux)\/.+)$/;
  assert.deepEqual(
    files.filter((f) => !allowed.test(f)),
    [],
    'files outside what the package should hold',
  );
  assert.deepEqual(
    files.filter((f) => /\.map$|\.test\.js$|\.tsbuildinfo$/.test(f)),
    [],
  );
  // Every compiled file still has its source.
  const stale = files
    .filter((f) => f.startsWith('dist/'))
    .filter((f) => !existsSync(path.join(REPO, 'src', f.slice('dist/'.length).replace(/\.js$/, '.ts'))));
  assert.deepEqual(stale, [], 'compiled files without a source (stale dist/): rm -rf dist && npm run build');
  t.diagnostic(`${pack.entryCount} files, ${pack.unpackedSize} bytes unpacked`);
});
